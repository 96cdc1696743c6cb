// IPv4 arithmetic on unsigned 32-bit numbers: parsing, CIDR blocks, containment and overlap.
import { InvalidArgumentError } from '../../errors';

export interface Ipv4Cidr {
  /** Network address (host bits cleared). */
  network: number;
  prefix: number;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidArgumentError(`invalid IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}

export function isIpv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; with `strict`, host bits must be zero (Docker rejects 10.0.0.1/24 as a subnet). */
export function parseCidr(text: string, strict = false): Ipv4Cidr {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  const prefix = Number(match[2]);
  if (prefix > 32) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  const address = parseIpv4(match[1] as string);
  const network = (address & prefixMask(prefix)) >>> 0;
  if (strict && network !== address) {
    throw new InvalidArgumentError(
      `invalid subnet ${text}: it has host bits set, use ${formatCidr({ network, prefix })}`,
    );
  }
  return { network, prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function lastAddress(cidr: Ipv4Cidr): number {
  return (cidr.network + cidrSize(cidr) - 1) >>> 0;
}

export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return (address & prefixMask(cidr.prefix)) >>> 0 === cidr.network;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}
