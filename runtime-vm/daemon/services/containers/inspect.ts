// The JSON views of a container: `GET /containers/{id}/json` (inspect) and one entry of
// `GET /containers/json` (summary), in the shapes the docker CLI, compose and dockerode read.
import type { ContainerRecord } from './types';
import { statusText } from './status-text';
import type { ContainerMount } from './spec/mounts';

/** Network facts for the views: endpoints by network name and the published ports. */
export interface NetworkView {
  endpoints: Record<string, object>;
  ports: Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  portList: object[];
}

export interface RuntimePaths {
  rootfs: string;
  upperDir: string;
  workDir: string;
  lowerDirs: string[];
}

/** inspect's Mounts[] entries for parsed mounts. */
export function mountPoints(mounts: ContainerMount[]): object[] {
  return mounts.map((m) => ({
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Source } : {}),
    Source: m.Type === 'tmpfs' ? '' : m.Source,
    Destination: m.Destination,
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

function networkMode(record: ContainerRecord): string {
  return record.HostConfig.NetworkMode ?? 'bridge';
}

function portsMap(record: ContainerRecord, network: NetworkView): NetworkView['ports'] {
  const ports: NetworkView['ports'] = {};
  for (const port of Object.keys(record.Config.ExposedPorts ?? {})) ports[port] = null;
  return { ...ports, ...network.ports };
}

/** Every endpoint with Docker's full field set; the network service's values win. */
function endpoints(network: NetworkView): Record<string, object> {
  const result: Record<string, object> = {};
  for (const [name, settings] of Object.entries(network.endpoints)) {
    result[name] = { ...endpoint(name), ...settings };
  }
  return result;
}

/** The first endpoint's fields, which Docker also reports at the top of NetworkSettings. */
function primary(network: NetworkView): Record<string, unknown> {
  const first = Object.values(network.endpoints)[0] as Record<string, unknown> | undefined;
  const pick = (key: string, fallback: unknown) => first?.[key] ?? fallback;
  return {
    EndpointID: pick('EndpointID', ''),
    Gateway: pick('Gateway', ''),
    GlobalIPv6Address: pick('GlobalIPv6Address', ''),
    GlobalIPv6PrefixLen: pick('GlobalIPv6PrefixLen', 0),
    IPAddress: pick('IPAddress', ''),
    IPPrefixLen: pick('IPPrefixLen', 0),
    IPv6Gateway: pick('IPv6Gateway', ''),
    MacAddress: pick('MacAddress', ''),
  };
}

function endpoint(networkId: string): Record<string, unknown> {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

export function inspectView(
  record: ContainerRecord,
  mounts: object[],
  network: NetworkView,
  paths: RuntimePaths,
  size?: { rw: number; rootFs: number },
): object {
  return {
    Id: record.Id,
    Created: record.Created,
    Path: record.Path,
    Args: record.Args,
    State: record.State,
    Image: record.Image,
    ResolvConfPath: record.ResolvConfPath,
    HostnamePath: record.HostnamePath,
    HostsPath: record.HostsPath,
    LogPath: record.LogPath,
    Name: record.Name,
    RestartCount: record.RestartCount,
    Driver: record.Driver,
    Platform: record.Platform,
    MountLabel: record.MountLabel,
    ProcessLabel: record.ProcessLabel,
    AppArmorProfile: record.AppArmorProfile,
    ExecIDs: null,
    HostConfig: record.HostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: paths.lowerDirs.slice().reverse().join(':'),
        MergedDir: paths.rootfs,
        UpperDir: paths.upperDir,
        WorkDir: paths.workDir,
      },
    },
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
    Mounts: mounts,
    Config: record.Config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: portsMap(record, network),
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      ...primary(network),
      Networks: endpoints(network),
    },
  };
}

/** `Command` as dockerd renders it for `docker ps`. */
export function commandText(record: ContainerRecord): string {
  return [record.Path, ...record.Args].join(' ');
}

export function summaryView(
  record: ContainerRecord,
  mounts: object[],
  network: NetworkView,
  now: number,
  size?: { rw: number; rootFs: number },
): object {
  const mode = networkMode(record);
  return {
    Id: record.Id,
    Names: [record.Name],
    Image: record.ImageName,
    ImageID: record.Image,
    Command: commandText(record),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    Ports: network.portList,
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
    Labels: record.Config.Labels ?? {},
    State: record.State.Status,
    Status: statusText(record.State, now),
    HostConfig: { NetworkMode: mode },
    NetworkSettings: { Networks: endpoints(network) },
    Mounts: mounts,
  };
}
