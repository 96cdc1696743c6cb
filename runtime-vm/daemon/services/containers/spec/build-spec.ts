// The OCI config.json for one container: a pure function of the stored container record and a
// few host facts resolved beforehand (user ids, file paths, network namespace), so every Docker
// option's effect on the spec is unit-testable without running anything.
import { InvalidArgumentError } from '../../../errors';
import type {
  OciDevice,
  OciMount,
  OciNamespace,
  OciRlimit,
  OciSeccomp,
  OciSpec,
} from '../../../drivers/runtime/oci-spec';
import { resolveCapabilities } from './capabilities';
import { containerMounts, userOciMounts } from './mounts';
import { ociResources } from './resources';
import { defaultSeccompProfile } from './seccomp';
import type { ResolvedUser } from './user';
import type { ContainerConfig, HostConfig } from '../types';

export const initPathInContainer = '/sbin/docker-init';
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const defaultShmSize = 64 * 1024 * 1024;

/** Docker's masked paths: unreadable inside the container. */
export const maskedPaths: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths. */
export const readonlyPaths: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** Mount points berthd adds to every container (not user changes in docker diff). */
export const berthMountPoints: readonly string[] = [
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  initPathInContainer,
];

export type NetworkSetup =
  | { kind: 'host' }
  /** A fresh namespace with only loopback (none, and bridge until a network driver exists). */
  | { kind: 'isolated' }
  /** Join an existing namespace (container:<id>, or one a network driver prepared). */
  | { kind: 'path'; path: string };

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The process: Path followed by Args. */
  argv: string[];
  user: ResolvedUser;
  rootfsPath: string;
  hostname: string;
  hostsPath: string;
  resolvConfPath: string;
  hostnamePath: string;
  network: NetworkSetup;
  /** Host path of a static init (tini) bind-mounted for --init. */
  initBinaryPath: string;
  /** Daemon option: no-new-privileges unless the container opts out. */
  noNewPrivilegesByDefault: boolean;
  /** The daemon's own capabilities: privileged and ALL mean these. */
  availableCapabilities?: readonly string[];
  /** Host paths of named volumes the container mounts. */
  volumePaths?: ReadonlyMap<string, string>;
  /** Whether the kernel accounts swap per cgroup; without it swap limits are dropped. */
  swapLimitSupported?: boolean;
  /** The host's device nodes, given to a privileged container as Docker does. */
  hostDevices?: readonly OciDevice[];
  /** User mounts already prepared by the volume service (replace Binds/Mounts/Tmpfs parsing). */
  preparedMounts?: readonly OciMount[];
  arch?: string;
}

interface SecurityOptions {
  noNewPrivileges?: boolean;
  seccomp: 'default' | 'unconfined' | OciSeccomp;
  apparmor?: string;
}

/** `--security-opt` entries: no-new-privileges[:bool], seccomp=unconfined|<json>, apparmor=, label=. */
export function parseSecurityOptions(entries: readonly string[]): SecurityOptions {
  const result: SecurityOptions = { seccomp: 'default' };
  for (const entry of entries) {
    if (entry === 'no-new-privileges') {
      result.noNewPrivileges = true;
      continue;
    }
    const match = /^([a-z-]+)[=:](.*)$/s.exec(entry);
    if (!match) throw new InvalidArgumentError(`Invalid --security-opt: ${JSON.stringify(entry)}`);
    const [, key, value = ''] = match;
    if (key === 'no-new-privileges') {
      if (!/^(true|false)$/.test(value)) {
        throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(entry)}`);
      }
      result.noNewPrivileges = value === 'true';
    } else if (key === 'seccomp') {
      if (value === 'unconfined') result.seccomp = 'unconfined';
      else result.seccomp = parseSeccompJson(value);
    } else if (key === 'apparmor') {
      result.apparmor = value;
    } else if (key === 'label') {
      // SELinux labels have no effect on a host without SELinux; accepted like dockerd does.
    } else {
      throw new InvalidArgumentError(`Invalid --security-opt: ${JSON.stringify(entry)}`);
    }
  }
  return result;
}

function parseSeccompJson(text: string): OciSeccomp {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('Decoding seccomp profile failed: invalid JSON');
  }
  const profile = parsed as {
    defaultAction?: unknown;
    syscalls?: unknown;
    architectures?: unknown;
    defaultErrnoRet?: unknown;
  };
  if (typeof profile.defaultAction !== 'string') {
    throw new InvalidArgumentError('Decoding seccomp profile failed: defaultAction is missing');
  }
  return {
    defaultAction: profile.defaultAction as OciSeccomp['defaultAction'],
    ...(typeof profile.defaultErrnoRet === 'number'
      ? { defaultErrnoRet: profile.defaultErrnoRet }
      : {}),
    architectures: Array.isArray(profile.architectures) ? profile.architectures.map(String) : [],
    syscalls: Array.isArray(profile.syscalls) ? (profile.syscalls as OciSeccomp['syscalls']) : [],
  };
}

/** The process environment: image+request env, plus PATH, HOSTNAME, HOME and TERM like Docker. */
export function processEnv(
  env: readonly string[],
  hostname: string,
  home: string,
  tty: boolean,
): string[] {
  const result = [...env];
  const has = (key: string) => result.some((entry) => entry.startsWith(`${key}=`));
  if (!has('PATH')) result.unshift(`PATH=${defaultPath}`);
  if (!has('HOSTNAME')) result.push(`HOSTNAME=${hostname}`);
  if (tty && !has('TERM')) result.push('TERM=xterm');
  if (!has('HOME')) result.push(`HOME=${home}`);
  return result;
}

const ulimitTypes: Record<string, string> = {
  core: 'RLIMIT_CORE',
  cpu: 'RLIMIT_CPU',
  data: 'RLIMIT_DATA',
  fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING',
  stack: 'RLIMIT_STACK',
};

function rlimits(host: HostConfig): OciRlimit[] {
  return (host.Ulimits ?? []).map((limit) => {
    const type = ulimitTypes[limit.Name];
    if (!type) throw new InvalidArgumentError(`invalid ulimit type: ${limit.Name}`);
    if (limit.Soft > limit.Hard) {
      throw new InvalidArgumentError(
        `ulimit soft limit must be less than or equal to hard limit: ${limit.Soft} > ${limit.Hard}`,
      );
    }
    return { type, soft: limit.Soft, hard: limit.Hard };
  });
}

const namespacedSysctl = /^(net\.|kernel\.(shm|msg|sem$)|fs\.mqueue\.)/;

function sysctls(host: HostConfig, network: NetworkSetup): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(host.Sysctls ?? {})) {
    if (!namespacedSysctl.test(key))
      throw new InvalidArgumentError(`sysctl '${key}' is not allowed`);
    if (key.startsWith('net.') && network.kind === 'host') {
      throw new InvalidArgumentError(`sysctl '${key}' is not allowed in host network namespace`);
    }
    result[key] = String(value);
  }
  return result;
}

function baseMounts(host: HostConfig, privileged: boolean): OciMount[] {
  const shmSize = host.ShmSize && host.ShmSize > 0 ? host.ShmSize : defaultShmSize;
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
}

export function buildSpec(input: SpecInput): OciSpec {
  const { config, hostConfig: host } = input;
  const privileged = host.Privileged === true;
  const security = parseSecurityOptions(host.SecurityOpt ?? []);
  const capabilities = resolveCapabilities({
    privileged,
    capAdd: host.CapAdd,
    capDrop: host.CapDrop,
    ...(input.availableCapabilities ? { available: input.availableCapabilities } : {}),
  });
  const userMounts: OciMount[] = input.preparedMounts
    ? [...input.preparedMounts]
    : userOciMounts(containerMounts(host), input.volumePaths ?? new Map());
  const taken = new Set(userMounts.map((m) => m.destination));

  const mounts = baseMounts(host, privileged).filter((m) => !taken.has(m.destination));
  const fileMounts: [string, string][] = [
    ['/etc/resolv.conf', input.resolvConfPath],
    ['/etc/hostname', input.hostnamePath],
    ['/etc/hosts', input.hostsPath],
  ];
  for (const [destination, source] of fileMounts) {
    if (!taken.has(destination)) {
      mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
    }
  }
  let argv = input.argv;
  if (host.Init) {
    mounts.push({
      destination: initPathInContainer,
      type: 'bind',
      source: input.initBinaryPath,
      options: ['rbind', 'rprivate', 'ro'],
    });
    argv = [initPathInContainer, '--', ...argv];
  }
  mounts.push(...userMounts);

  const namespaces: OciNamespace[] = [{ type: 'mount' }];
  if (host['PidMode'] !== 'host') namespaces.push({ type: 'pid' });
  if (host['IpcMode'] !== 'host') namespaces.push({ type: 'ipc' });
  if (host['UTSMode'] !== 'host') namespaces.push({ type: 'uts' });
  if (input.network.kind === 'isolated') namespaces.push({ type: 'network' });
  if (input.network.kind === 'path') namespaces.push({ type: 'network', path: input.network.path });

  const noNewPrivileges =
    security.noNewPrivileges ?? (input.noNewPrivilegesByDefault && !privileged);
  const consoleSize = host.ConsoleSize;
  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: config.Tty === true,
      ...(config.Tty && consoleSize && consoleSize[0] > 0 && consoleSize[1] > 0
        ? { consoleSize: { height: consoleSize[0], width: consoleSize[1] } }
        : {}),
      user: {
        uid: input.user.uid,
        gid: input.user.gid,
        ...(input.user.additionalGids.length > 0
          ? { additionalGids: input.user.additionalGids }
          : {}),
      },
      args: argv,
      env: processEnv(config.Env ?? [], input.hostname, input.user.home, config.Tty === true),
      cwd: config.WorkingDir || '/',
      capabilities: {
        bounding: capabilities,
        effective: capabilities,
        permitted: capabilities,
      },
      rlimits: rlimits(host),
      noNewPrivileges,
      ...(host.OomScoreAdj ? { oomScoreAdj: host.OomScoreAdj } : {}),
    },
    root: { path: input.rootfsPath, readonly: host.ReadonlyRootfs === true },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      cgroupsPath: `/berth/${input.id}`,
      resources: {
        ...ociResources(host, input.swapLimitSupported ?? true),
        devices: privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }],
      },
      sysctl: sysctls(host, input.network),
    },
    // HostConfig.Annotations reach the runtime, as in dockerd (API 1.43).
    annotations: { ...stringRecord(host['Annotations']), 'org.berth.container.id': input.id },
  };
  if (privileged && input.hostDevices) spec.linux.devices = [...input.hostDevices];
  if (!privileged) {
    spec.linux.maskedPaths = [...maskedPaths];
    spec.linux.readonlyPaths = [...readonlyPaths];
    if (security.seccomp === 'default')
      spec.linux.seccomp = defaultSeccompProfile(capabilities, input.arch);
    else if (security.seccomp !== 'unconfined') spec.linux.seccomp = security.seccomp;
  }
  return spec;
}

/** The string-valued entries of a JSON object (annotations from the API may hold anything). */
function stringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}
