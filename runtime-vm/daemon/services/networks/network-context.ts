// What the network CRUD half and the endpoint half of the service share: the kernel drivers, the
// store, the in-memory tables and the event/log sinks.
import type { EventBus } from '../events';
import type { Logger } from '../../logger';
import type { Links } from '../../drivers/network/links';
import type { Firewall, FirewallRule } from '../../drivers/network/firewall';
import type { AddressAllocator } from '../../drivers/network/ipam';
import type { Ipv6Allocator } from '../../drivers/network/ipv6';
import type { EmbeddedDns } from '../../drivers/network/dns-server';
import type { Publication } from '../../drivers/network/port-proxy';
import type { EndpointSettingsInput, NetworkRecord } from './network-model';
import type { ContainerNetworkState, NetworkStore } from './network-store';

/** The containers service, as the network service needs it (connect/disconnect by name). */
export interface ContainerDirectory {
  /** A container by id, name or unique id prefix; undefined when absent. */
  find(idOrName: string): Promise<{ id: string; name: string; running: boolean } | undefined>;
  /**
   * Records a membership change in the container's own config (NetworkingConfig), so it holds
   * across restarts of the container; `null` removes the network.
   */
  recordEndpointConfig(
    containerId: string,
    networkName: string,
    config: EndpointSettingsInput | null,
  ): Promise<void>;
}

export interface NetworkContext {
  links: Links;
  firewall: Firewall;
  dns: EmbeddedDns;
  store: NetworkStore;
  events?: EventBus;
  logger: Logger;
  networks: Map<string, NetworkRecord>;
  allocators: Map<string, AddressAllocator>;
  /** The IPv6 side of dual-stack networks. */
  allocators6: Map<string, Ipv6Allocator>;
  containers: Map<string, ContainerNetworkState>;
  publications: Map<string, Publication[]>;
  /** The DNAT and FORWARD rules of each container's published ports. */
  portRules: Map<string, FirewallRule[]>;
  /** dockerd's userland-proxy: loopback clients go through berthd instead of DNAT. */
  userlandProxy: boolean;
  namespacePrefix: string;
  directory?: ContainerDirectory;
}

export function emitNetworkEvent(
  ctx: NetworkContext,
  action: string,
  network: NetworkRecord,
  extra: Record<string, string> = {},
): void {
  ctx.events?.emit({
    Type: 'network',
    Action: action,
    Actor: { ID: network.id, Attributes: { name: network.name, type: network.driver, ...extra } },
  });
}

/** Live endpoints on a network, by container. */
export function endpointsOn(ctx: NetworkContext, networkId: string) {
  const result: {
    state: ContainerNetworkState;
    endpoint: ContainerNetworkState['endpoints'][number];
  }[] = [];
  for (const state of ctx.containers.values()) {
    for (const endpoint of state.endpoints) {
      if (endpoint.networkId === networkId) result.push({ state, endpoint });
    }
  }
  return result;
}
