// Data shapes the services return. Plain JSON: they cross IPC and WebSocket unchanged.

export type EngineKind = 'berthd' | 'docker-host' | 'context' | 'manual' | 'cli';

export interface EngineConfig {
  id: string;
  name: string;
  kind: EngineKind;
  /** unix:///path, tcp://host:port or ssh://user@host */
  endpoint: string;
  tls?: { ca?: string; cert?: string; key?: string; verify?: boolean };
}

export type UnreachableReason =
  | 'socket_missing'
  | 'permission_denied'
  | 'connection_refused'
  | 'version_too_old'
  | 'timeout'
  | 'other';

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  osType: string;
  arch: string;
  kernelVersion: string;
  cpus: number;
  memoryBytes: number;
  name: string;
  containers: { total: number; running: number; paused: number; stopped: number };
  images: number;
  serverName: string;
}

export type EngineStatus =
  | { state: 'connected'; engine: EngineConfig; info: EngineInfo }
  | {
      state: 'unreachable';
      engine: EngineConfig;
      reason: UnreachableReason;
      message: string;
      hint?: string;
    };

export interface EngineEvent {
  type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'engine';
  action: string;
  id: string;
  attributes: Record<string, string>;
  time: number;
}

export interface PortBinding {
  privatePort: number;
  publicPort?: number;
  ip?: string;
  type: string;
}

export type ContainerState =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string;
  state: ContainerState;
  status: string;
  created: number;
  ports: PortBinding[];
  labels: Record<string, string>;
  composeProject?: string;
  composeService?: string;
}

export interface ContainerStatsSnapshot {
  id: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

export type ContainerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause' | 'remove';

export interface BulkItemResult {
  id: string;
  ok: boolean;
  error?: { code: string; message: string };
}

export interface RunSpec {
  image: string;
  name?: string;
  command?: string[];
  env?: string[];
  /** hostIp limits the published port to one host address, e.g. 127.0.0.1. */
  ports?: { containerPort: number; hostPort?: number; hostIp?: string; protocol?: 'tcp' | 'udp' }[];
  volumes?: { source: string; target: string; readOnly?: boolean }[];
  network?: string;
  restartPolicy?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  pull?: 'missing' | 'always' | 'never';
}

export interface ImageSummary {
  id: string;
  tags: string[];
  digests: string[];
  size: number;
  created: number;
  containers: number;
  inUse: boolean;
}

export interface PullProgress {
  /** Layer id, or '' for whole-image status lines. */
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export interface ImageHistoryEntry {
  id: string;
  created: number;
  createdBy: string;
  size: number;
  comment: string;
}

export interface PruneResult {
  deleted: string[];
  spaceReclaimed: number;
}

export interface VolumeSummary {
  name: string;
  driver: string;
  mountpoint: string;
  created?: string;
  labels: Record<string, string>;
  /** Bytes, when the engine reports it (system df), else -1. */
  size: number;
  /** Containers using it; -1 when unknown. */
  refCount: number;
}

export interface VolumeEntry {
  path: string;
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mode: number;
  modified: number;
  linkTarget?: string;
}

export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  subnets: string[];
  gateways: string[];
  containers: { id: string; name: string; ipv4: string }[];
  created: string;
  builtIn: boolean;
}

export type Theme = 'light' | 'dark' | 'system';

export interface Settings {
  theme: Theme;
  defaultShell: string;
  /** The terminal's shell choice remembered per image (shell = auto|bash|zsh|sh|custom command). */
  shellsByImage?: Record<string, { shell: string; user?: string; workdir?: string }>;
  activeEngineId: string;
  manualEngines: EngineConfig[];
}
