// Published ports of containers: the host side (userland proxies where needed) and the DNAT
// rules that carry the traffic, kept per container and reopened after a daemon restart.
import { ConflictError } from '../../errors';
import type { PortMap, PublishRequest } from '../../drivers/network/port-bindings';
import {
  openPublication,
  type Publication,
  type PublishedPort,
} from '../../drivers/network/port-proxy';
import { publishedPortRules, type FirewallRule } from '../../drivers/network/firewall';
import type { NetworkContext } from './network-context';
import type { ContainerNetworkState } from './network-store';

export async function releasePorts(ctx: NetworkContext, containerId: string): Promise<void> {
  const publications = ctx.publications.get(containerId) ?? [];
  ctx.publications.delete(containerId);
  const rules = ctx.portRules.get(containerId) ?? [];
  ctx.portRules.delete(containerId);
  if (rules.length > 0) await ctx.firewall.removeRules(rules);
  await Promise.all(publications.map((publication) => publication.close()));
  const state = ctx.containers.get(containerId);
  if (state && state.published.length > 0) {
    state.published = [];
    await ctx.store.saveContainer(state);
  }
}

function portMap(
  ports: readonly PublishedPort[],
  exposed: Record<string, unknown> | null | undefined,
): PortMap {
  const map: PortMap = {};
  for (const key of Object.keys(exposed ?? {})) {
    map[key.includes('/') ? key : `${key}/tcp`] = null;
  }
  for (const port of ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    const list = map[key] ?? [];
    list.push({ HostIp: port.hostIp, HostPort: String(port.hostPort) });
    map[key] = list;
  }
  return map;
}

interface PortTarget {
  address: string;
  bridge: string;
  /** Internal networks publish through the proxy only: nothing may be forwarded into them. */
  internal: boolean;
  defaultHostIp: string;
}

/** Where published ports lead: the container's first bridge endpoint, and that network's
 *  default host address (com.docker.network.bridge.host_binding_ipv4, "0.0.0.0" = all). */
function proxyTarget(ctx: NetworkContext, state: ContainerNetworkState): PortTarget | undefined {
  for (const endpoint of state.endpoints) {
    const network = ctx.networks.get(endpoint.networkId);
    if (network?.driver !== 'bridge' || !network.bridgeName) continue;
    const binding = network.options['com.docker.network.bridge.host_binding_ipv4'] ?? '';
    return {
      address: endpoint.address,
      bridge: network.bridgeName,
      internal: network.internal,
      defaultHostIp: binding === '0.0.0.0' ? '' : binding,
    };
  }
  return undefined;
}

/** DNAT rules for opened ports, so servers in the container see the real client address. */
function natRules(
  ctx: NetworkContext,
  target: PortTarget,
  publications: readonly Publication[],
): FirewallRule[] {
  if (target.internal) return [];
  return publications
    .flatMap((publication) => publication.ports)
    .flatMap((port) =>
      publishedPortRules(ctx.firewall.names, {
        bridge: target.bridge,
        address: target.address,
        containerPort: port.containerPort,
        protocol: port.protocol,
        hostIp: port.hostIp,
        hostPort: port.hostPort,
        userlandProxy: ctx.userlandProxy,
      }),
    );
}

/** Opens host ports for a container; returns NetworkSettings.Ports. */
export async function publishContainerPorts(
  ctx: NetworkContext,
  containerId: string,
  requests: PublishRequest[],
  exposed: Record<string, unknown> | null | undefined,
): Promise<PortMap> {
  const state = ctx.containers.get(containerId);
  // A container:<id> joiner has no attachment of its own, and nothing to publish.
  if (!state && requests.length === 0) return portMap([], exposed);
  if (!state) throw new ConflictError(`container ${containerId} is not attached to any network`);
  await releasePorts(ctx, containerId);
  const target = proxyTarget(ctx, state);
  if (!target || requests.length === 0) return portMap([], exposed);
  const opened: Publication[] = [];
  try {
    for (const asked of requests) {
      const request = asked.hostIp === '' ? { ...asked, hostIp: target.defaultHostIp } : asked;
      const publication = await openPublication(request, {
        address: target.address,
        port: request.containerPort,
      });
      opened.push(publication);
      const hostPort = publication.ports[0]?.hostPort ?? 0;
      state.published.push({ request, hostPort });
    }
  } catch (error) {
    await Promise.all(opened.map((publication) => publication.close()));
    state.published = [];
    throw error;
  }
  const rules = natRules(ctx, target, opened);
  try {
    await ctx.firewall.addRules(rules);
  } catch (error) {
    await ctx.firewall.removeRules(rules).catch(() => undefined);
    await Promise.all(opened.map((publication) => publication.close()));
    state.published = [];
    throw error;
  }
  ctx.publications.set(containerId, opened);
  ctx.portRules.set(containerId, rules);
  await ctx.store.saveContainer(state);
  return portMap(
    opened.flatMap((publication) => publication.ports),
    exposed,
  );
}

export function publishedPortsOf(ctx: NetworkContext, containerId: string): PortMap {
  const ports = (ctx.publications.get(containerId) ?? []).flatMap(
    (publication) => publication.ports,
  );
  return portMap(ports, undefined);
}

/**
 * Reopens a restored container's ports on the same host ports it had before the restart. Their
 * DNAT rules are only recorded: the caller applies every rule in one rebuild.
 */
export async function reopenPorts(
  ctx: NetworkContext,
  state: ContainerNetworkState,
): Promise<void> {
  const target = proxyTarget(ctx, state);
  if (!target) return;
  const opened: Publication[] = [];
  for (const { request, hostPort } of state.published) {
    const pinned: PublishRequest = {
      ...request,
      hostPorts: hostPort > 0 ? [hostPort, hostPort] : request.hostPorts,
    };
    try {
      opened.push(
        await openPublication(pinned, { address: target.address, port: request.containerPort }),
      );
    } catch (error) {
      ctx.logger.warn('could not republish a port after restart', {
        container: state.containerId,
        hostPort,
        error,
      });
    }
  }
  ctx.publications.set(state.containerId, opened);
  ctx.portRules.set(state.containerId, natRules(ctx, target, opened));
}
