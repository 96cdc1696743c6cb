import type { NetworkInspectInfo } from 'dockerode';
import type { NetworksService } from '../../shared/services/networks';
import type { NetworkSummary } from '../../shared/types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';

const builtInNetworks = new Set(['bridge', 'host', 'none']);

export function toNetworkSummary(network: NetworkInspectInfo): NetworkSummary {
  const configs = network.IPAM?.Config ?? [];
  return {
    id: network.Id,
    name: network.Name,
    driver: network.Driver,
    scope: network.Scope,
    internal: network.Internal ?? false,
    subnets: configs.map((config) => config.Subnet ?? '').filter(Boolean),
    gateways: configs.map((config) => config.Gateway ?? '').filter(Boolean),
    containers: Object.entries(network.Containers ?? {}).map(([id, endpoint]) => ({
      id,
      name: endpoint.Name,
      ipv4: endpoint.IPv4Address,
    })),
    created: network.Created,
    builtIn: builtInNetworks.has(network.Name),
  };
}

export function createNetworksService(engine: EngineAccess): NetworksService {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toServiceError(error);
    }
  };
  return {
    list: () =>
      guard(async () => {
        const docker = engine.docker();
        const networks = await docker.listNetworks();
        // The list endpoint leaves Containers empty; inspect fills it.
        const detailed = await Promise.all(
          networks.map(
            (network) => docker.getNetwork(network.Id).inspect() as Promise<NetworkInspectInfo>,
          ),
        );
        return detailed.map(toNetworkSummary).sort((a, b) => a.name.localeCompare(b.name));
      }),
    create: ({ name, driver, subnet, internal }) =>
      guard(async () => {
        const network = await engine.docker().createNetwork({
          Name: name,
          Driver: driver ?? 'bridge',
          Internal: internal ?? false,
          CheckDuplicate: true,
          ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } } : {}),
        });
        return { id: network.id };
      }),
    remove: ({ id }) => guard(async () => void (await engine.docker().getNetwork(id).remove())),
    connect: ({ id, container }) =>
      guard(
        async () => void (await engine.docker().getNetwork(id).connect({ Container: container })),
      ),
    disconnect: ({ id, container, force }) =>
      guard(
        async () =>
          void (await engine
            .docker()
            .getNetwork(id)
            .disconnect({ Container: container, Force: force ?? false })),
      ),
  };
}
