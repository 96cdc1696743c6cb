// Create-time work outside the record itself: validating a HostConfig the way dockerd does
// (nothing is written before it passes) and writing the container's hostname/hosts/resolv.conf.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import { renderHosts, renderResolvConf } from './host-files';
import type { ContainerNetworking } from './networking';
import type { ContainerRegistry } from './registry';
import { validateRestartPolicy } from './create-config';
import { parseSecurityOptions } from './spec/build-spec';
import { resolveCapabilities } from './spec/capabilities';
import { zeroTime } from './status-text';
import { containerMounts } from './spec/mounts';
import { validateResources } from './spec/resources';
import type { ContainerRecord, HostConfig } from './types';
import { mountSpecsFor, type ContainerVolumes } from './volumes';

const builtinNetworkModes = /^(bridge|default|none|host|container:.+)$/;

export function validateHostConfig(
  host: HostConfig,
  cpuCount: number,
  registry: ContainerRegistry,
  networks: ContainerNetworking | undefined,
  volumes: ContainerVolumes | undefined,
): void {
  validateResources(host, cpuCount);
  validateRestartPolicy(host.RestartPolicy, host.AutoRemove === true);
  resolveCapabilities({ privileged: host.Privileged, capAdd: host.CapAdd, capDrop: host.CapDrop });
  parseSecurityOptions(host.SecurityOpt ?? []);
  if (volumes) {
    mountSpecsFor(host, {});
  } else if (containerMounts(host).some((m) => m.Type === 'volume')) {
    throw new InvalidArgumentError(
      'named volumes are not supported by berthd yet: use a bind mount (absolute host path)',
    );
  }
  const mode = host.NetworkMode ?? 'bridge';
  if (mode.startsWith('container:')) registry.get(mode.slice('container:'.length));
  else if (networks) networks.resolve(mode);
  else if (!builtinNetworkModes.test(mode)) throw new NotFoundError(`network ${mode} not found`);
  for (const [port, bindings] of Object.entries(host.PortBindings ?? {})) {
    if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(port) || Number(port.split('/')[0]) > 65535) {
      throw new InvalidArgumentError(`invalid port specification: "${port}"`);
    }
    for (const binding of bindings ?? []) {
      const hostPort = binding.HostPort ?? '';
      if (hostPort !== '' && !/^\d{1,5}(-\d{1,5})?$/.test(hostPort)) {
        throw new InvalidArgumentError(`invalid port specification: "${hostPort}"`);
      }
    }
  }
}

/** Checks bind sources (--mount needs them, -v creates them) and writes the /etc files. */
export async function writeHostFiles(record: ContainerRecord, hostNetwork: boolean): Promise<void> {
  const host = record.HostConfig;
  for (const mount of host.Mounts ?? []) {
    if (mount.Type === 'bind') {
      await stat(mount.Source ?? '').catch(() => {
        throw new InvalidArgumentError(
          `invalid mount config for type "bind": bind source path does not exist: ${mount.Source}`,
        );
      });
    }
  }
  for (const bind of host.Binds ?? []) {
    const source = bind.split(':')[0] ?? '';
    // -v creates a missing host directory, like dockerd.
    if (source.startsWith('/')) await mkdir(source, { recursive: true });
  }
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await writeFile(record.HostnamePath, `${record.Config.Hostname}\n`);
  const dns = { dns: host.Dns, dnsSearch: host.DnsSearch, dnsOptions: host.DnsOptions };
  await writeFile(record.ResolvConfPath, renderResolvConf(hostResolv, dns, hostNetwork));
  let hosts = renderHosts(host.ExtraHosts ?? []);
  if (hostNetwork) {
    // The host's own names, plus any --add-host lines (after the six standard entries).
    const hostHosts = await readFile('/etc/hosts', 'utf8').catch(() => '');
    hosts = hostHosts + hosts.split('\n').slice(6).join('\n');
  }
  await writeFile(record.HostsPath, hosts);
}

export interface NewRecordInput {
  id: string;
  /** With the leading slash. */
  name: string;
  path: string;
  args: string[];
  config: ContainerRecord['Config'];
  hostConfig: HostConfig;
  image: { id: string; layerPaths: string[] };
  imageRef: string;
  endpoints: Record<string, unknown>;
  dataDir: string;
}

/** A freshly created container's record: state "created", files in its data directory. */
export function newRecord(input: NewRecordInput): ContainerRecord {
  const { dataDir } = input;
  return {
    Id: input.id,
    Name: input.name,
    Created: new Date().toISOString(),
    Path: input.path,
    Args: input.args,
    Config: input.config,
    HostConfig: input.hostConfig,
    Image: input.image.id,
    ImageName: input.imageRef,
    LayerPaths: input.image.layerPaths,
    NetworkingConfig: { EndpointsConfig: { ...input.endpoints } as Record<string, object> },
    State: {
      Status: 'created',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: zeroTime,
      FinishedAt: zeroTime,
    },
    RestartCount: 0,
    ManuallyStopped: false,
    HostnamePath: join(dataDir, 'hostname'),
    HostsPath: join(dataDir, 'hosts'),
    ResolvConfPath: join(dataDir, 'resolv.conf'),
    LogPath: join(dataDir, 'container.log'),
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    Driver: 'overlay2',
    Platform: 'linux',
  };
}
