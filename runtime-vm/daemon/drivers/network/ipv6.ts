// IPv6 arithmetic on bigints: parsing and formatting, CIDR blocks, overlap, and a small address
// allocator for the IPv6 side of a dual-stack bridge network.
import { InvalidArgumentError, UnavailableError } from '../../errors';

export interface Ipv6Cidr {
  network: bigint;
  prefix: number;
}

const allOnes = (1n << 128n) - 1n;

export function parseIpv6(text: string): bigint {
  const value = text.trim();
  const invalid = () => new InvalidArgumentError(`invalid IPv6 address: ${JSON.stringify(text)}`);
  if (!/^[0-9a-fA-F:]+$/.test(value) || value.split('::').length > 2) throw invalid();
  const [head = '', tail] = value.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) throw invalid();
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  if (all.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) throw invalid();
  return all.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function isIpv6(text: string): boolean {
  try {
    parseIpv6(text);
    return true;
  } catch {
    return false;
  }
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`. */
export function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const before = hex.slice(0, bestStart).join(':');
  const after = hex.slice(bestStart + bestLength).join(':');
  return `${before}::${after}`;
}

function mask(prefix: number): bigint {
  return prefix === 0 ? 0n : (allOnes << BigInt(128 - prefix)) & allOnes;
}

/** `fd00::/64`; with `strict`, host bits must be zero. */
export function parseCidr6(text: string, strict = false): Ipv6Cidr {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const prefix = Number(match?.[2]);
  if (!match || prefix > 128) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  const address = parseIpv6(match[1] as string);
  const network = address & mask(prefix);
  if (strict && network !== address) {
    throw new InvalidArgumentError(
      `invalid subnet ${text}: it has host bits set, use ${formatCidr6({ network, prefix })}`,
    );
  }
  return { network, prefix };
}

export function formatCidr6(cidr: Ipv6Cidr): string {
  return `${formatIpv6(cidr.network)}/${cidr.prefix}`;
}

export function cidr6Contains(cidr: Ipv6Cidr, address: bigint): boolean {
  return (address & mask(cidr.prefix)) === cidr.network;
}

export function cidrs6Overlap(a: Ipv6Cidr, b: Ipv6Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return (a.network & mask(prefix)) === (b.network & mask(prefix));
}

/** Hands out addresses of an IPv6 subnet in order, skipping the subnet-router anycast (::0). */
export class Ipv6Allocator {
  private readonly used = new Set<bigint>();

  constructor(private readonly subnet: Ipv6Cidr) {
    if (subnet.prefix > 126) {
      throw new InvalidArgumentError(`IPv6 subnet ${formatCidr6(subnet)} is too small`);
    }
  }

  reserve(address: bigint): void {
    if (!cidr6Contains(this.subnet, address)) {
      throw new InvalidArgumentError(
        `no address ${formatIpv6(address)} in subnet ${formatCidr6(this.subnet)}`,
      );
    }
    this.used.add(address);
  }

  /** The lowest free address: the scan stops after at most (addresses in use + 1) steps. */
  allocate(): bigint {
    const last = this.subnet.network | (allOnes >> BigInt(this.subnet.prefix));
    for (let candidate = this.subnet.network + 1n; candidate <= last; candidate++) {
      if (this.used.has(candidate)) continue;
      this.used.add(candidate);
      return candidate;
    }
    throw new UnavailableError(`no free IPv6 address in ${formatCidr6(this.subnet)}`);
  }

  release(address: bigint): void {
    this.used.delete(address);
  }
}
