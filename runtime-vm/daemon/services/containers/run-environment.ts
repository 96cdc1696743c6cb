// The environment a container runs in besides its root filesystem: network attachment (through
// the network service, or host / loopback-only without one), volume mounts (through the volume
// service) and the hostname.
import { readFile, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { ConflictError } from '../../errors';
import type { Logger } from '../../logger';
import { renderHosts, renderResolvConf } from './host-files';
import { primaryAddress, type ContainerNetworking } from './networking';
import type { ContainerRegistry } from './registry';
import type { NetworkSetup } from './spec/build-spec';
import type { ContainerRecord } from './types';
import { mountSpecsFor, type ContainerVolumes } from './volumes';

export interface RunEnvironmentDeps {
  registry: ContainerRegistry;
  logger: Logger;
  networks?: ContainerNetworking;
  volumes?: ContainerVolumes;
}

/** The container's hostname: its own, the host's with --network host, else the short id. */
export function hostnameOf(record: ContainerRecord): string {
  if (record.HostConfig.NetworkMode === 'host' && !record.Config.Hostname) return osHostname();
  return record.Config.Hostname || record.Id.slice(0, 12);
}

export class RunEnvironment {
  constructor(private readonly deps: RunEnvironmentDeps) {}

  /**
   * Joins the container's networks before runc creates it: through the network service when
   * there is one, else host or a loopback-only namespace. Rewrites resolv.conf and hosts for
   * the addresses and nameservers the network service chose.
   */
  async attachNetwork(record: ContainerRecord, hostname: string): Promise<NetworkSetup> {
    const networks = this.deps.networks;
    if (!networks) return this.networkSetup(record);
    let mode = record.HostConfig.NetworkMode ?? 'bridge';
    const owner = mode.startsWith('container:')
      ? this.deps.registry.get(mode.slice('container:'.length))
      : undefined;
    if (owner) mode = `container:${owner.Id}`;
    const attachment = await networks.attach(
      record.Id,
      record.Name,
      mode,
      record.NetworkingConfig?.EndpointsConfig,
      hostname,
    );
    const host = record.HostConfig;
    if (attachment.dnsServers && !(host.Dns && host.Dns.length > 0)) {
      const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
      const settings = {
        dns: attachment.dnsServers,
        dnsSearch: host.DnsSearch,
        dnsOptions: host.DnsOptions,
      };
      await writeFile(record.ResolvConfPath, renderResolvConf(hostResolv, settings, false));
    }
    const ip = primaryAddress(attachment.endpoints);
    if (ip && mode !== 'host') {
      await writeFile(
        record.HostsPath,
        renderHosts(host.ExtraHosts ?? [], { ip, names: [hostname] }),
      );
    }
    const netns = attachment.netns;
    // A --network none owner's namespace was made by runc and has no name: join it by pid.
    if (owner && netns.kind === 'private') return this.ownerNamespace(owner);
    return netns.kind === 'private' ? { kind: 'isolated' } : netns;
  }

  /** Volume mounts through the volume service, remembering anonymous volumes for restarts. */
  async prepareVolumes(record: ContainerRecord, rootfsPath: string) {
    const volumes = this.deps.volumes;
    if (!volumes) return undefined;
    const specs = mountSpecsFor(record.HostConfig, record.Config.Volumes, record.AnonymousVolumes);
    const prepared = await volumes.prepareMounts(record.Id, specs, rootfsPath);
    const anonymous: Record<string, string> = { ...(record.AnonymousVolumes ?? {}) };
    for (const spec of specs) {
      if (spec.type !== 'volume' || spec.name !== '') continue;
      const point = prepared.mountPoints.find((p) => p.Destination === spec.target);
      if (point?.Name) anonymous[spec.target] = point.Name;
    }
    record.AnonymousVolumes = anonymous;
    record.MountPoints = prepared.mountPoints;
    return prepared.mounts;
  }

  /** Frees the container's published host ports (nothing to do, and no process, without any). */
  async releasePorts(id: string): Promise<void> {
    await this.deps.networks?.release(id).catch((error: unknown) => {
      this.deps.logger.warn('releasing published ports failed', { id, error });
    });
  }

  async teardownNetwork(id: string): Promise<void> {
    const networks = this.deps.networks;
    if (!networks) return;
    await networks.release(id).catch((error: unknown) => {
      this.deps.logger.warn('releasing published ports failed', { id, error });
    });
    await networks.detach(id).catch((error: unknown) => {
      this.deps.logger.warn('detaching from networks failed', { id, error });
    });
  }

  private ownerNamespace(owner: ContainerRecord): NetworkSetup {
    if (!owner.State.Running || owner.State.Pid <= 0) {
      throw new ConflictError(`cannot join network of a non running container: ${owner.Id}`);
    }
    return { kind: 'path', path: `/proc/${owner.State.Pid}/ns/net` };
  }

  private networkSetup(record: ContainerRecord): NetworkSetup {
    const mode = record.HostConfig.NetworkMode ?? 'bridge';
    if (mode === 'host') return { kind: 'host' };
    if (mode.startsWith('container:')) {
      return this.ownerNamespace(this.deps.registry.get(mode.slice('container:'.length)));
    }
    // none, and bridge until a network driver exists: a private namespace with loopback only.
    return { kind: 'isolated' };
  }
}
