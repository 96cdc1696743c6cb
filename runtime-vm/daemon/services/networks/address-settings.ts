// Daemon-wide address settings (dockerd's --bip and default-address-pools), checked at start so
// a typo stops berthd with a message naming the setting instead of failing at first use.
import { InvalidArgumentError } from '../../errors';
import type { AddressPool } from '../../drivers/network/ipam';
import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../../drivers/network/ipv4';

/** `--bip 192.168.5.1/24`: the gateway address with the subnet's prefix. */
export function parseBip(bip: string): { subnet: string; gateway: string } {
  const subnet = parseCidr(bip);
  const gateway = parseIpv4(bip.split('/')[0] as string);
  const broadcast = (subnet.network + 2 ** (32 - subnet.prefix) - 1) >>> 0;
  if (subnet.prefix > 30 || gateway === subnet.network || gateway === broadcast) {
    throw new InvalidArgumentError(
      `invalid bip ${bip}: give the bridge's own address with a prefix of at most 30, e.g. 192.168.5.1/24`,
    );
  }
  return { subnet: formatCidr(subnet), gateway: formatIpv4(gateway) };
}

/** Catches a bad default-address-pools entry at start rather than at the first network create. */
export function validatePools(pools: readonly AddressPool[]): void {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (!Number.isInteger(pool.size) || pool.size < base.prefix || pool.size > 30) {
      throw new InvalidArgumentError(
        `invalid default address pool ${pool.base}: size ${pool.size} must be between ${base.prefix} and 30`,
      );
    }
  }
}
