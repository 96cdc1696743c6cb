// IP address management: picks subnets for new networks that collide neither with the host's
// routes nor with other networks, and hands out addresses inside a network.
import { ConflictError, InvalidArgumentError, UnavailableError } from '../../errors';
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  lastAddress,
  parseCidr,
  type Ipv4Cidr,
} from './ipv4';

/** A pool split into subnets of `size` bits, like dockerd's default-address-pools. */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's defaults: 172.17-31.0.0/16, then 192.168.0-240.0/20. */
export const defaultAddressPools: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/13', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/**
 * The first subnet from `pools` overlapping nothing in `taken` (host routes and existing
 * networks). A default route (0.0.0.0/0) is not a collision: it covers everything.
 */
export function pickSubnet(pools: readonly AddressPool[], taken: readonly Ipv4Cidr[]): Ipv4Cidr {
  const blockers = taken.filter((cidr) => cidr.prefix > 0);
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefix || pool.size > 30) {
      throw new InvalidArgumentError(
        `invalid address pool ${pool.base}: size ${pool.size} must be between ${base.prefix} and 30`,
      );
    }
    const step = 2 ** (32 - pool.size);
    for (let network = base.network; network <= lastAddress(base); network += step) {
      const candidate = { network: network >>> 0, prefix: pool.size };
      if (!blockers.some((cidr) => cidrsOverlap(cidr, candidate))) return candidate;
    }
  }
  throw new UnavailableError(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
  );
}

/**
 * Addresses in use inside one subnet. The network and broadcast addresses and the gateway are
 * never handed out; `range` (Docker's IPRange) narrows where dynamic addresses come from.
 */
export class AddressAllocator {
  private readonly used = new Set<number>();
  private readonly range: Ipv4Cidr;

  constructor(
    readonly subnet: Ipv4Cidr,
    range?: Ipv4Cidr,
  ) {
    if (range && !(cidrContains(subnet, range.network) && range.prefix >= subnet.prefix)) {
      throw new InvalidArgumentError(
        `ip-range ${formatCidr(range)} is not inside subnet ${formatCidr(subnet)}`,
      );
    }
    this.range = range ?? subnet;
  }

  /** Marks a specific address as taken (gateway, static IP, restored endpoint). */
  reserve(address: number): void {
    if (!cidrContains(this.subnet, address)) {
      throw new InvalidArgumentError(
        `no available IPv4 address: ${formatIpv4(address)} is not in subnet ${formatCidr(this.subnet)}`,
      );
    }
    if (address === this.subnet.network || address === lastAddress(this.subnet)) {
      throw new InvalidArgumentError(
        `${formatIpv4(address)} is the network or broadcast address of ${formatCidr(this.subnet)}`,
      );
    }
    if (this.used.has(address)) {
      throw new ConflictError(`Address already in use: ${formatIpv4(address)}`);
    }
    this.used.add(address);
  }

  /** The lowest free address of the range. */
  allocate(): number {
    const first = this.range.network;
    const end = first + cidrSize(this.range);
    for (let address = first; address < end; address++) {
      if (address === this.subnet.network || address === lastAddress(this.subnet)) continue;
      if (!this.used.has(address)) {
        this.used.add(address);
        return address;
      }
    }
    throw new UnavailableError(`no available IPv4 addresses in ${formatCidr(this.range)}`);
  }

  release(address: number): void {
    this.used.delete(address);
  }
}

/** A MAC derived from the IPv4 address the way Docker does: 02:42 + the four address bytes. */
export function macForAddress(address: number): string {
  const bytes = [0x02, 0x42, ...[24, 16, 8, 0].map((shift) => (address >>> shift) & 255)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
