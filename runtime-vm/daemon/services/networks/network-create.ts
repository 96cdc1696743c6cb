// POST /networks/create: validates a request the way dockerd does and turns it into a record.
import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../errors';
import { pickSubnet, type AddressPool } from '../../drivers/network/ipam';
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  parseCidr,
  parseIpv4,
  type Ipv4Cidr,
} from '../../drivers/network/ipv4';
import {
  cidr6Contains,
  cidrs6Overlap,
  formatCidr6,
  formatIpv6,
  parseCidr6,
  parseIpv6,
} from '../../drivers/network/ipv6';
import type { NetworkCreateRequest, NetworkRecord } from './network-model';
import type { NetworkContext } from './network-context';

export const overlayMessage =
  'overlay networks are not supported on a single host: use a Kubernetes or Swarm cluster';
export const bridgeNameOption = 'com.docker.network.bridge.name';
const macvlanModes = ['bridge', 'private', 'vepa', 'passthru'];

export function newNetworkId(): string {
  return randomBytes(32).toString('hex');
}

export function usedSubnets(ctx: NetworkContext): Ipv4Cidr[] {
  return [...ctx.networks.values()]
    .filter((record) => record.subnet)
    .map((record) => parseCidr(record.subnet as string));
}

/**
 * The IPv6 subnet and gateway of a dual-stack bridge network. berthd has no IPv6 pools: --ipv6
 * needs an IPv6 --subnet, and an IPv6 subnet needs --ipv6, as with dockerd.
 */
function ipv6Settings(
  ctx: NetworkContext,
  driver: string,
  request: NetworkCreateRequest,
): { subnet6?: string; gateway6?: string } {
  const entries = (request.IPAM?.Config ?? []).filter((entry) => entry.Subnet?.includes(':'));
  if (!request.EnableIPv6) {
    if (entries.length > 0) {
      throw new InvalidArgumentError(
        `IPv6 subnet ${entries[0]?.Subnet} given without --ipv6: enable IPv6 on the network`,
      );
    }
    return {};
  }
  if (driver !== 'bridge') {
    throw new InvalidArgumentError('IPv6 is supported on bridge networks only');
  }
  const [entry, extra] = entries;
  if (!entry?.Subnet) {
    throw new InvalidArgumentError(
      'an IPv6 network needs an IPv6 subnet: --ipv6 --subnet fd00:1::/64',
    );
  }
  if (extra) throw new InvalidArgumentError('only one IPv6 IPAM config per network is supported');
  if (entry.IPRange) throw new InvalidArgumentError('IPv6 ip-range is not supported');
  const subnet = parseCidr6(entry.Subnet, true);
  const clash = [...ctx.networks.values()].find(
    (record) => record.subnet6 && cidrs6Overlap(parseCidr6(record.subnet6), subnet),
  );
  if (clash) {
    throw new ForbiddenError(
      `invalid pool request: Pool overlaps with other one on this address space (network ${clash.name})`,
    );
  }
  const gateway = entry.Gateway ? parseIpv6(entry.Gateway) : subnet.network + 1n;
  if (!cidr6Contains(subnet, gateway)) {
    throw new InvalidArgumentError(
      `gateway ${formatIpv6(gateway)} is not in subnet ${formatCidr6(subnet)}`,
    );
  }
  return { subnet6: formatCidr6(subnet), gateway6: formatIpv6(gateway) };
}

export async function recordFromRequest(
  ctx: NetworkContext,
  pools: readonly AddressPool[],
  request: NetworkCreateRequest,
): Promise<NetworkRecord> {
  const name = (request.Name ?? '').trim();
  if (name === '') throw new InvalidArgumentError('network name must not be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new InvalidArgumentError(
      `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  const driver = request.Driver && request.Driver !== '' ? request.Driver : 'bridge';
  if (driver === 'overlay') throw new InvalidArgumentError(overlayMessage);
  if (driver === 'host' || driver === 'null') {
    throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
  }
  if (driver !== 'bridge' && driver !== 'macvlan') {
    throw new NotFoundError(`plugin "${driver}" not found`);
  }
  if (request.Scope && request.Scope !== 'local') {
    throw new InvalidArgumentError(
      `scope ${request.Scope} is not supported: only local networks exist on a single host`,
    );
  }
  if (request.ConfigOnly || (request.ConfigFrom && request.ConfigFrom.Network)) {
    throw new InvalidArgumentError('config-only networks are not supported');
  }
  if ([...ctx.networks.values()].some((record) => record.name === name)) {
    throw new ConflictError(`network with name ${name} already exists`);
  }
  const options = { ...(request.Options ?? {}) };
  const ipv6 = ipv6Settings(ctx, driver, request);
  const ipamConfig = (request.IPAM?.Config ?? []).filter((entry) => !entry.Subnet?.includes(':'));
  if (ipamConfig.length > 1) {
    throw new InvalidArgumentError('only one IPv4 IPAM config per network is supported');
  }
  const entry = ipamConfig[0];
  let subnet;
  if (entry?.Subnet) {
    subnet = parseCidr(entry.Subnet, true);
    const clash = [...ctx.networks.values()].find(
      (record) => record.subnet && cidrsOverlap(parseCidr(record.subnet), subnet!),
    );
    if (clash) {
      throw new ForbiddenError(
        `invalid pool request: Pool overlaps with other one on this address space (network ${clash.name})`,
      );
    }
  } else {
    if (entry?.Gateway || entry?.IPRange) {
      throw new InvalidArgumentError('a gateway or ip-range needs a subnet');
    }
    subnet = pickSubnet(pools, [...(await ctx.links.hostRoutes()), ...usedSubnets(ctx)]);
  }
  const gateway = entry?.Gateway ? parseIpv4(entry.Gateway) : subnet.network + 1;
  if (!cidrContains(subnet, gateway)) {
    throw new InvalidArgumentError(
      `gateway ${formatIpv4(gateway)} is not in subnet ${formatCidr(subnet)}`,
    );
  }
  const ipRange = entry?.IPRange ? parseCidr(entry.IPRange, true) : undefined;
  const id = newNetworkId();
  const record: NetworkRecord = {
    id,
    name,
    driver,
    created: new Date().toISOString(),
    internal: request.Internal === true,
    attachable: request.Attachable === true,
    predefined: false,
    subnet: formatCidr(subnet),
    gateway: formatIpv4(gateway),
    ipRange: ipRange ? formatCidr(ipRange) : undefined,
    ipamFromUser: entry?.Subnet !== undefined && entry.Subnet !== '',
    auxAddresses: entry?.AuxiliaryAddresses ?? undefined,
    ipamOptions: request.IPAM?.Options ?? null,
    options,
    labels: { ...(request.Labels ?? {}) },
    ...ipv6,
  };
  if (driver === 'bridge') {
    const bridgeName = options[bridgeNameOption] ?? `br-${id.slice(0, 12)}`;
    if (bridgeName.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridgeName)) {
      throw new InvalidArgumentError(
        `invalid bridge name ${bridgeName}: at most 15 letters, digits, '_', '.', '-'`,
      );
    }
    if ([...ctx.networks.values()].some((other) => other.bridgeName === bridgeName)) {
      throw new ConflictError(`bridge name ${bridgeName} is already used by another network`);
    }
    record.bridgeName = bridgeName;
  } else {
    const parent = options['parent'];
    if (!parent)
      throw new InvalidArgumentError('macvlan networks need a parent interface: -o parent=eth0');
    if (!(await ctx.links.exists(parent))) {
      throw new InvalidArgumentError(`-o parent interface was not found on the host: ${parent}`);
    }
    const mode = options['macvlan_mode'] ?? 'bridge';
    if (!macvlanModes.includes(mode)) {
      throw new InvalidArgumentError(
        `macvlan_mode ${mode} is not one of ${macvlanModes.join(', ')}`,
      );
    }
    record.parent = parent;
    record.macvlanMode = mode;
  }
  return record;
}
