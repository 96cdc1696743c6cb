// What containers need from the network service (the consumer owns this interface), and the
// small conversions between its answers and Docker's container views.
import { InvalidArgumentError } from '../../errors';
import type { ContainerRegistry } from './registry';
import type { ContainerRecord } from './types';

export interface PortBindingView {
  HostIp?: string;
  HostPort?: string;
}

export type PortMapView = Record<string, PortBindingView[] | null>;

export interface NetworkAttachment {
  /** The host's namespace, a fresh one runc creates (--network none), or one to join. */
  netns: { kind: 'host' } | { kind: 'private' } | { kind: 'path'; path: string };
  endpoints: Record<string, object>;
  /** Nameservers for resolv.conf; null = derive from the host's. */
  dnsServers: string[] | null;
}

/** How the network service finds containers and records their memberships. */
export interface ContainerDirectoryView {
  find(idOrName: string): Promise<{ id: string; name: string; running: boolean } | undefined>;
  recordEndpointConfig(
    containerId: string,
    networkName: string,
    config: object | null,
  ): Promise<void>;
}

export interface ContainerNetworking {
  /** Throws NotFoundError for an unknown network (create-time validation). */
  resolve(idOrName: string): { id: string; name: string; driver: string };
  /** Throws InvalidArgumentError for static addresses the network cannot give. */
  validateEndpoint?(idOrName: string, config: object | null | undefined): void;
  attach(
    containerId: string,
    name: string,
    networkMode: string,
    endpointsConfig: Record<string, object> | null | undefined,
    hostname?: string,
  ): Promise<NetworkAttachment>;
  detach(containerId: string): Promise<void>;
  /** Detaches every container but `known` (recovery after a crash). */
  detachAllExcept?(known: ReadonlySet<string>): Promise<void>;
  publishPorts(
    containerId: string,
    portBindings: PortMapView | null | undefined,
    exposedPorts: Record<string, unknown> | null | undefined,
    publishAll?: boolean,
  ): Promise<PortMapView>;
  release(containerId: string): Promise<void>;
  endpointsOf(containerId: string): Record<string, object>;
  portsOf(containerId: string): PortMapView;
  renameContainer?(containerId: string, newName: string): Promise<void>;
  setContainerDirectory?(directory: ContainerDirectoryView): void;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** `docker ps` Ports entries from a port map (exposed-only ports have no public side). */
export function portSummaries(ports: PortMapView): PortSummary[] {
  const result: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) {
      result.push({ PrivatePort: Number(port), Type: type });
      continue;
    }
    for (const binding of bindings) {
      result.push({
        IP: binding.HostIp || '0.0.0.0',
        PrivatePort: Number(port),
        PublicPort: Number(binding.HostPort),
        Type: type,
      });
    }
  }
  return result;
}

/** The first endpoint's address, for the container's own /etc/hosts line. */
export function primaryAddress(endpoints: Record<string, object>): string | undefined {
  for (const endpoint of Object.values(endpoints)) {
    const ip = (endpoint as { IPAddress?: unknown }).IPAddress;
    if (typeof ip === 'string' && ip !== '') return ip;
  }
  return undefined;
}

/**
 * The networks a new container belongs to, keyed by network name: its NetworkMode's network
 * first (so it becomes eth0 and carries the default route), then every other
 * NetworkingConfig.EndpointsConfig entry (API >= 1.44 allows several). Like dockerd's
 * NetworkSettings.Networks this is the membership from then on: connect and disconnect edit it,
 * NetworkMode itself never changes. Unknown networks throw NotFoundError.
 */
export function initialEndpoints(
  networkMode: string | undefined,
  endpointsConfig: Record<string, unknown> | null | undefined,
  networks: Pick<ContainerNetworking, 'resolve' | 'validateEndpoint'> | undefined,
): Record<string, object> {
  const mode = !networkMode || networkMode === 'default' ? 'bridge' : networkMode;
  const requested = Object.entries(endpointsConfig ?? {}).map(([key, value]) => ({
    key,
    name: networks ? networks.resolve(key).name : key,
    config: (value ?? {}) as object,
  }));
  if (mode.startsWith('container:')) {
    if (requested.length > 0) {
      throw new InvalidArgumentError(
        `container sharing the network namespace of ${mode.slice(10)} cannot join other networks`,
      );
    }
    return {};
  }
  const modeName = networks ? networks.resolve(mode).name : mode;
  const others = requested.filter((entry) => entry.name !== modeName);
  if ((modeName === 'host' || modeName === 'none') && others.length > 0) {
    throw new InvalidArgumentError(
      `container cannot be connected to multiple networks with one of the networks in ${modeName} mode: ${others.map((entry) => entry.key).join(', ')}`,
    );
  }
  for (const entry of requested) networks?.validateEndpoint?.(entry.name, entry.config);
  const own = requested.find((entry) => entry.name === modeName);
  const result: Record<string, object> = { [modeName]: own?.config ?? {} };
  for (const entry of others) {
    if (result[entry.name]) {
      throw new InvalidArgumentError(`network ${entry.name} is listed twice in EndpointsConfig`);
    }
    result[entry.name] = entry.config;
  }
  return result;
}

/** The networks a container belongs to now, by name (empty with --network container:). */
export function memberNetworks(record: Pick<ContainerRecord, 'NetworkingConfig'>): string[] {
  return Object.keys(record.NetworkingConfig?.EndpointsConfig ?? {});
}

/** The container lookups the network service needs for connect/disconnect. */
export function containerDirectory(registry: ContainerRegistry): ContainerDirectoryView {
  return {
    find: async (ref) => {
      const record = registry.find(ref);
      if (!record) return undefined;
      return { id: record.Id, name: record.Name.slice(1), running: record.State.Running };
    },
    recordEndpointConfig: async (containerId, networkName, config) => {
      const record = registry.get(containerId);
      const endpoints = { ...(record.NetworkingConfig?.EndpointsConfig ?? {}) };
      if (config === null) delete endpoints[networkName];
      else endpoints[networkName] = config;
      record.NetworkingConfig = { EndpointsConfig: endpoints };
      await registry.save(record);
    },
  };
}
