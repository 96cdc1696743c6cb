// Docker's container wire shapes (the parts berthd reads or reports), and berthd's stored record.

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** `Config` of a create request / inspect; also the image config's shape for the shared fields. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | string | null;
  NetworkDisabled?: boolean;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

/** The image config fields containers inherit (OCI image config `config` section). */
export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: HealthConfig | null;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Mounts?: MountSpec[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  Init?: boolean | null;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  Tmpfs?: Record<string, string> | null;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  // Resources
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  OomKillDisable?: boolean | null;
  OomScoreAdj?: number;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  ConsoleSize?: [number, number] | null;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  /** The OCI runtime's name; berthd runs every container with its one default runtime. */
  Runtime?: string;
  [extra: string]: unknown;
}

export interface CreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> | null } | null;
}

export type ContainerStatus =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: HealthLogEntry[] };
}

/** What berthd stores per container (`<dataRoot>/containers/<id>/config.v2.json`). */
export interface ContainerRecord {
  Id: string;
  /** With Docker's leading slash. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig & { Image: string; Env: string[]; Cmd: string[] | null };
  HostConfig: HostConfig;
  /** Image id (sha256:...). */
  Image: string;
  /** The reference the user asked for, as `docker ps` shows it. */
  ImageName: string;
  /** The image's unpacked layer dirs, bottom → top (overlayfs lower dirs). */
  LayerPaths: string[];
  /** inspect's Mounts[] as the volume service reported them at the last start. */
  MountPoints?: object[];
  /** Anonymous volumes by target, so a restart reuses the same ones. */
  AnonymousVolumes?: Record<string, string>;
  /** Networks to join besides NetworkMode, with their endpoint settings. */
  NetworkingConfig?: { EndpointsConfig: Record<string, object> };
  State: ContainerState;
  RestartCount: number;
  /** An explicit stop/kill by the user: unless-stopped and always policies respect it. */
  ManuallyStopped: boolean;
  /**
   * Written ahead of `runc start` with the state to restore if the start never happens: a daemon
   * that crashed in between rolls back when runc still reports the container `created`.
   */
  StartRollback?: Pick<ContainerState, 'StartedAt' | 'ExitCode' | 'Error'>;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  LogPath: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  Driver: string;
  Platform: string;
}
