// Container attachments: namespaces, veth/macvlan endpoints, addresses and the names the
// embedded DNS answers (published ports: published-ports.ts).
import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../errors';
import { cidrContains, formatIpv4, isIpv4, parseCidr, parseIpv4 } from '../../drivers/network/ipv4';
import { macForAddress } from '../../drivers/network/ipam';
import { cidr6Contains, formatIpv6, parseCidr6, parseIpv6 } from '../../drivers/network/ipv6';
import { netnsDirectory } from '../../drivers/network/links';
import type { DnsRecords } from '../../drivers/network/dns-server';
import {
  endpointSettings,
  type EndpointRecord,
  type EndpointSettings,
  type EndpointSettingsInput,
  type NetworkRecord,
} from './network-model';
import { emitNetworkEvent, type NetworkContext } from './network-context';
import type { ContainerNetworkState } from './network-store';
import { releasePorts } from './published-ports';

/**
 * The network namespace runc gives the container: the host's (--network host), a fresh one that
 * runc creates with loopback up (--network none: no `ip` processes on the run path), or one to join.
 */
export type NetnsChoice = { kind: 'host' } | { kind: 'private' } | { kind: 'path'; path: string };

export interface AttachResult {
  netns: NetnsChoice;
  /** NetworkSettings.Networks for container inspect, by network name. */
  endpoints: Record<string, EndpointSettings>;
  /** Nameservers for the container's resolv.conf; null = derive from the host's resolv.conf. */
  dnsServers: string[] | null;
}

export function findNetwork(ctx: NetworkContext, reference: string): NetworkRecord {
  // NetworkMode "default" is the bridge network on Linux, as in dockerd.
  const idOrName = reference === 'default' ? 'bridge' : reference;
  const byId = ctx.networks.get(idOrName);
  if (byId) return byId;
  for (const record of ctx.networks.values()) if (record.name === idOrName) return record;
  const byPrefix = [...ctx.networks.values()].filter((record) => record.id.startsWith(idOrName));
  if (idOrName !== '' && byPrefix.length === 1) return byPrefix[0] as NetworkRecord;
  if (byPrefix.length > 1) {
    throw new InvalidArgumentError(
      `network ${idOrName} is ambiguous (${byPrefix.length} matches found based on ID prefix)`,
    );
  }
  throw new NotFoundError(`network ${idOrName} not found`);
}

function userDefined(network: NetworkRecord): boolean {
  return !network.predefined && (network.driver === 'bridge' || network.driver === 'macvlan');
}

function nextInterfaceName(state: ContainerNetworkState): string {
  const used = new Set(state.endpoints.map((endpoint) => endpoint.interfaceName));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

function dnsNamesFor(
  state: ContainerNetworkState,
  network: NetworkRecord,
  aliases: string[],
): string[] {
  if (!userDefined(network)) return [];
  const names = [state.name, ...aliases, state.containerId.slice(0, 12)];
  if (state.hostname && !names.includes(state.hostname)) names.push(state.hostname);
  return [...new Set(names.filter((name) => name !== ''))];
}

/**
 * The static addresses an endpoint asks for, checked against the network without allocating
 * them: at container create, so a bad --ip/--ip6 fails there rather than at start (API 1.44).
 */
export function validateEndpointConfig(
  network: NetworkRecord,
  config: EndpointSettingsInput | undefined,
): void {
  const ipv4 = config?.IPAMConfig?.IPv4Address?.trim();
  if (ipv4) {
    if (!network.ipamFromUser || !network.subnet) {
      throw new InvalidArgumentError(
        'user specified IP address is supported only when connecting to networks with user configured subnets',
      );
    }
    if (!cidrContains(parseCidr(network.subnet), parseIpv4(ipv4))) {
      throw new InvalidArgumentError(
        `no configured subnet or ip-range contain the IP address ${ipv4} (network ${network.name} is ${network.subnet})`,
      );
    }
  }
  const ipv6 = config?.IPAMConfig?.IPv6Address?.trim();
  if (ipv6) {
    if (!network.subnet6) {
      throw new InvalidArgumentError(
        `network ${network.name} has no IPv6 subnet for the address ${ipv6}`,
      );
    }
    if (!cidr6Contains(parseCidr6(network.subnet6), parseIpv6(ipv6))) {
      throw new InvalidArgumentError(
        `no configured subnet contains the IP address ${ipv6} (network ${network.name} is ${network.subnet6})`,
      );
    }
  }
}

/** Adds one endpoint on `network` into the container's namespace. */
async function createEndpoint(
  ctx: NetworkContext,
  state: ContainerNetworkState,
  network: NetworkRecord,
  config: EndpointSettingsInput | undefined,
  createNamespace = false,
): Promise<EndpointRecord> {
  if (network.driver !== 'bridge' && network.driver !== 'macvlan') {
    throw new ForbiddenError(
      `container cannot be connected to the ${network.name} network together with others`,
    );
  }
  if (!state.namespace) throw new ConflictError(`container ${state.name} uses the host network`);
  if (state.endpoints.some((endpoint) => endpoint.networkId === network.id)) {
    throw new ForbiddenError(
      `endpoint with name ${state.name} already exists in network ${network.name}`,
    );
  }
  const aliases = (config?.Aliases ?? []).filter((alias) => alias !== '');
  if (aliases.length > 0 && !userDefined(network)) {
    throw new InvalidArgumentError(
      'network-scoped alias is supported only for containers in user defined networks',
    );
  }
  const allocator = ctx.allocators.get(network.id);
  if (!allocator || !network.subnet || !network.gateway) {
    throw new ConflictError(`network ${network.name} has no address space`);
  }
  const requested = config?.IPAMConfig?.IPv4Address?.trim();
  if (requested && !network.ipamFromUser) {
    throw new InvalidArgumentError(
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
  }
  const address = requested ? parseIpv4(requested) : allocator.allocate();
  if (requested) allocator.reserve(address);
  let ipv6: ReturnType<typeof ipv6Endpoint>;
  try {
    ipv6 = ipv6Endpoint(ctx, network, config);
  } catch (error) {
    allocator.release(address);
    throw error;
  }
  const subnet = parseCidr(network.subnet);
  const endpoint: EndpointRecord = {
    networkId: network.id,
    endpointId: randomBytes(32).toString('hex'),
    interfaceName: nextInterfaceName(state),
    address: formatIpv4(address),
    prefix: subnet.prefix,
    gateway: network.internal && network.driver === 'bridge' ? '' : network.gateway,
    mac: config?.MacAddress?.trim() || macForAddress(address),
    aliases,
    dnsNames: dnsNamesFor(state, network, aliases),
    staticAddress: requested || undefined,
    ...ipv6,
  };
  const hasDefaultRoute = state.endpoints.some((existing) => existing.gateway !== '');
  const hasDefaultRoute6 = state.endpoints.some((existing) => Boolean(existing.gateway6));
  const iface = {
    name: endpoint.interfaceName,
    address: endpoint.address,
    prefix: endpoint.prefix,
    mac: endpoint.mac,
    defaultGateway: !hasDefaultRoute && endpoint.gateway !== '' ? endpoint.gateway : undefined,
    address6: endpoint.address6,
    prefix6: endpoint.prefix6,
    defaultGateway6: !hasDefaultRoute6 ? endpoint.gateway6 : undefined,
  };
  try {
    if (network.driver === 'bridge') {
      await ctx.links.addVethEndpoint(network.bridgeName as string, state.namespace, iface, {
        hairpin: !ctx.userlandProxy,
        createNamespace,
      });
    } else {
      if (createNamespace) await ctx.links.createNamespace(state.namespace, false);
      await ctx.links.addMacvlanEndpoint(
        network.parent as string,
        network.macvlanMode ?? 'bridge',
        state.namespace,
        iface,
      );
    }
  } catch (error) {
    releaseAddress(ctx, endpoint);
    throw error;
  }
  return endpoint;
}

/** The IPv6 address of a new endpoint on a dual-stack network (requested or allocated). */
function ipv6Endpoint(
  ctx: NetworkContext,
  network: NetworkRecord,
  config: EndpointSettingsInput | undefined,
): Pick<EndpointRecord, 'address6' | 'prefix6' | 'gateway6' | 'staticAddress6'> {
  const requested = config?.IPAMConfig?.IPv6Address?.trim();
  const allocator = ctx.allocators6.get(network.id);
  if (!allocator || !network.subnet6) {
    if (requested) {
      throw new InvalidArgumentError(
        `network ${network.name} has no IPv6 subnet for the address ${requested}`,
      );
    }
    return {};
  }
  const address = requested ? parseIpv6(requested) : allocator.allocate();
  if (requested) allocator.reserve(address);
  return {
    address6: formatIpv6(address),
    prefix6: parseCidr6(network.subnet6).prefix,
    gateway6: network.internal ? undefined : network.gateway6,
    staticAddress6: requested ? formatIpv6(address) : undefined,
  };
}

function releaseAddress(ctx: NetworkContext, endpoint: EndpointRecord): void {
  ctx.allocators.get(endpoint.networkId)?.release(parseIpv4(endpoint.address));
  if (endpoint.address6) {
    ctx.allocators6.get(endpoint.networkId)?.release(parseIpv6(endpoint.address6));
  }
}

function netnsOf(state: ContainerNetworkState): NetnsChoice {
  if (state.namespace) return { kind: 'path', path: `${netnsDirectory}/${state.namespace}` };
  return state.mode === 'none' ? { kind: 'private' } : { kind: 'host' };
}

export function namespaceNameFor(ctx: NetworkContext, containerId: string): string {
  return `${ctx.namespacePrefix}${containerId.slice(0, 12)}`;
}

/** The embedded DNS is the nameserver when it serves one of the container's networks. */
export function attachResult(ctx: NetworkContext, state: ContainerNetworkState): AttachResult {
  const endpoints: Record<string, EndpointSettings> = {};
  let dnsServers: string[] | null = null;
  for (const endpoint of state.endpoints) {
    const network = ctx.networks.get(endpoint.networkId);
    if (!network) continue;
    endpoints[network.name] = endpointSettings(endpoint);
    if (
      dnsServers === null &&
      userDefined(network) &&
      network.driver === 'bridge' &&
      network.gateway
    ) {
      dnsServers = [network.gateway];
    }
  }
  return {
    netns: netnsOf(state),
    endpoints,
    dnsServers,
  };
}

/**
 * The networks to join. A given endpointsConfig is the container's whole membership (the
 * NetworkMode network may have been disconnected); without one, the NetworkMode network alone.
 * The mode's network comes first so it gets eth0 and the default route.
 */
function wantedNetworks(
  ctx: NetworkContext,
  mode: string,
  endpointsConfig: Record<string, EndpointSettingsInput> | null | undefined,
): { network: NetworkRecord; config?: EndpointSettingsInput }[] {
  if (!endpointsConfig) return [{ network: findNetwork(ctx, mode) }];
  const wanted: { network: NetworkRecord; config?: EndpointSettingsInput }[] = [];
  for (const [key, config] of Object.entries(endpointsConfig)) {
    const network = findNetwork(ctx, key);
    if (network.driver === 'host' || network.driver === 'null') continue;
    if (wanted.some((entry) => entry.network.id === network.id)) continue;
    const isMode = key === mode || network.name === mode || network.id === mode;
    if (isMode) wanted.unshift({ network, config });
    else wanted.push({ network, config });
  }
  return wanted;
}

export async function attachContainer(
  ctx: NetworkContext,
  containerId: string,
  name: string,
  networkMode: string,
  endpointsConfig: Record<string, EndpointSettingsInput> | null | undefined,
  hostname?: string,
): Promise<AttachResult> {
  if (ctx.containers.has(containerId)) await detachContainer(ctx, containerId);
  const mode = networkMode === '' || networkMode === 'default' ? 'bridge' : networkMode;
  const cleanName = name.replace(/^\//, '');
  if (mode.startsWith('container:')) {
    const target = mode.slice('container:'.length);
    const owner = [...ctx.containers.values()].find(
      (candidate) => candidate.containerId === target || candidate.name === target,
    );
    if (!owner)
      throw new ConflictError(`cannot join network of a non running container: ${target}`);
    return { ...attachResult(ctx, owner), endpoints: {} };
  }
  const state: ContainerNetworkState = {
    containerId,
    name: cleanName,
    hostname,
    mode,
    endpoints: [],
    published: [],
  };
  if (mode === 'host' || mode === 'none') {
    ctx.containers.set(containerId, state);
    await ctx.store.saveContainer(state);
    return attachResult(ctx, state);
  }
  const wanted = wantedNetworks(ctx, mode, endpointsConfig);
  state.namespace = namespaceNameFor(ctx, containerId);
  // The first endpoint creates the namespace along with its link; none at all: loopback only.
  if (wanted.length === 0) await ctx.links.createNamespace(state.namespace, true);
  ctx.containers.set(containerId, state);
  try {
    for (const [index, { network, config }] of wanted.entries()) {
      state.endpoints.push(await createEndpoint(ctx, state, network, config, index === 0));
    }
    await ctx.store.saveContainer(state);
  } catch (error) {
    await detachContainer(ctx, containerId);
    throw error;
  }
  for (const endpoint of state.endpoints) {
    const network = ctx.networks.get(endpoint.networkId);
    if (network) emitNetworkEvent(ctx, 'connect', network, { container: containerId });
  }
  return attachResult(ctx, state);
}

export async function detachContainer(ctx: NetworkContext, containerId: string): Promise<void> {
  await releasePorts(ctx, containerId);
  const state = ctx.containers.get(containerId);
  if (!state) return;
  ctx.containers.delete(containerId);
  for (const endpoint of state.endpoints) releaseAddress(ctx, endpoint);
  // The veth and macvlan ends inside die with the namespace; their host peers go with them.
  if (state.namespace) await ctx.links.deleteNamespace(state.namespace);
  await ctx.store.removeContainer(containerId);
  for (const endpoint of state.endpoints) {
    const network = ctx.networks.get(endpoint.networkId);
    if (network) emitNetworkEvent(ctx, 'disconnect', network, { container: containerId });
  }
}

/** Adds a network to a running container (docker network connect). */
export async function connectLive(
  ctx: NetworkContext,
  containerId: string,
  network: NetworkRecord,
  config: EndpointSettingsInput | undefined,
): Promise<void> {
  const state = ctx.containers.get(containerId);
  if (!state) throw new ConflictError(`container ${containerId} has no network namespace`);
  if (state.mode === 'none') {
    throw new ForbiddenError(
      'container cannot be connected to multiple networks with one of the networks in private (none) mode',
    );
  }
  if (!state.namespace) {
    throw new ForbiddenError(
      'container cannot be disconnected from host network or connected to host network',
    );
  }
  state.endpoints.push(await createEndpoint(ctx, state, network, config));
  await ctx.store.saveContainer(state);
  emitNetworkEvent(ctx, 'connect', network, { container: containerId });
}

/** Removes a network from a running container (docker network disconnect). */
export async function disconnectLive(
  ctx: NetworkContext,
  containerId: string,
  network: NetworkRecord,
): Promise<boolean> {
  const state = ctx.containers.get(containerId);
  const endpoint = state?.endpoints.find((candidate) => candidate.networkId === network.id);
  if (!state || !endpoint) return false;
  if (state.namespace) await ctx.links.deleteInside(state.namespace, endpoint.interfaceName);
  releaseAddress(ctx, endpoint);
  state.endpoints = state.endpoints.filter((candidate) => candidate !== endpoint);
  await ctx.store.saveContainer(state);
  emitNetworkEvent(ctx, 'disconnect', network, { container: containerId });
  return true;
}

export function dnsRecords(ctx: Pick<NetworkContext, 'networks' | 'containers'>): DnsRecords {
  return {
    lookup(networkId, name) {
      const wanted = name.toLowerCase();
      const addresses: string[] = [];
      for (const state of ctx.containers.values()) {
        for (const endpoint of state.endpoints) {
          if (endpoint.networkId !== networkId) continue;
          if (endpoint.dnsNames.some((candidate) => candidate.toLowerCase() === wanted)) {
            addresses.push(endpoint.address);
            if (endpoint.address6) addresses.push(endpoint.address6);
          }
        }
      }
      return addresses;
    },
    reverse(networkId, address) {
      const network = ctx.networks.get(networkId);
      for (const state of ctx.containers.values()) {
        for (const endpoint of state.endpoints) {
          if (endpoint.networkId === networkId && endpoint.address === address && network) {
            return `${state.name}.${network.name}`;
          }
        }
      }
      return undefined;
    },
    forwards(networkId) {
      return ctx.networks.get(networkId)?.internal !== true;
    },
    accepts(networkId, clientAddress) {
      const subnet = ctx.networks.get(networkId)?.subnet;
      const address = clientAddress.replace(/^::ffff:/, '');
      return (
        subnet !== undefined &&
        isIpv4(address) &&
        cidrContains(parseCidr(subnet), parseIpv4(address))
      );
    },
  };
}
