// /version, /info and /system/df: figures gathered from the host and from the other services.
import { randomUUID } from 'node:crypto';
import { readFile, statfs } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../store/atomic';
import { apiAtLeast, imageSummaryForApi, type ImageSummary } from '../images/views';

export const berthVersion = '0.1.0';

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

/** What the system service needs from containers; daemon.ts adapts the container service. */
export interface ContainerFigures {
  counts(): ContainerCounts | Promise<ContainerCounts>;
  diskUsage(): Promise<unknown[]>;
}

export interface VolumeFigures {
  diskUsage(): Promise<unknown[]>;
}

export interface BuildCacheFigures {
  diskUsage(): Promise<{ items: unknown[]; size: number }>;
}

export interface ImageFigures {
  usage(): Promise<{ count: number; layersSize: number; images: ImageSummary[] }>;
}

/** The OCI runtime as GET /info reports it (RuntimeFeatureProbe). */
export interface RuntimeFigures {
  runtimeName: string;
  /** Runtimes[].status (API 1.44): the runtime's features document. */
  status(): Promise<Record<string, string>>;
}

export interface SystemServiceOptions {
  dataRoot: string;
  apiVersion: string;
  minApiVersion: string;
  images: ImageFigures;
  eventListeners: () => number;
  /** Path of the default OCI runtime binary. */
  runtimePath?: string;
  runtime?: RuntimeFigures;
  /** --default-address-pool settings, shown as DefaultAddressPools. */
  defaultAddressPools?: ReadonlyArray<{ base: string; size: number }>;
}

async function osName(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return pretty?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

async function cgroupVersion(): Promise<'1' | '2'> {
  // A pure v2 host has cgroup.controllers at the root; hybrid/v1 hosts do not.
  const v2 = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').then(
    () => true,
    () => false,
  );
  return v2 ? '2' : '1';
}

function goArch(): string {
  return (
    ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[process.arch] ?? process.arch
  );
}

export class SystemService {
  private containers: ContainerFigures | undefined;
  private volumes: VolumeFigures | undefined;
  private buildCache: BuildCacheFigures | undefined;
  private engineId = '';

  constructor(private readonly options: SystemServiceOptions) {}

  async init(): Promise<void> {
    const path = join(this.options.dataRoot, 'engine-id');
    try {
      this.engineId = (await readFile(path, 'utf8')).trim();
    } catch {
      this.engineId = randomUUID();
      await writeFileAtomic(path, this.engineId + '\n');
    }
  }

  attachContainers(figures: ContainerFigures): void {
    this.containers = figures;
  }

  attachVolumes(figures: VolumeFigures): void {
    this.volumes = figures;
  }

  attachBuildCache(figures: BuildCacheFigures): void {
    this.buildCache = figures;
  }

  version(): Record<string, unknown> {
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const details = {
      ApiVersion: this.options.apiVersion,
      MinAPIVersion: this.options.minApiVersion,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: arch,
      KernelVersion: release(),
      BuildTime: '',
    };
    return {
      Platform: { Name: `Berth Engine ${berthVersion}` },
      Components: [{ Name: 'Engine', Version: berthVersion, Details: details }],
      Version: berthVersion,
      ...details,
    };
  }

  /** Runtimes: the default runtime, with its features as `status` from API 1.44 on. */
  private async runtimes(apiVersion: string): Promise<Record<string, object>> {
    const name = this.options.runtime?.runtimeName ?? 'runc';
    const path = this.options.runtimePath ?? 'runc';
    if (!apiAtLeast(apiVersion, '1.44')) return { [name]: { path } };
    return { [name]: { path, status: (await this.options.runtime?.status()) ?? {} } };
  }

  /** GET /info as the negotiated `apiVersion` shows it. */
  async info(apiVersion: string = this.options.apiVersion): Promise<Record<string, unknown>> {
    const counts = (await this.containers?.counts()) ?? {
      total: 0,
      running: 0,
      paused: 0,
      stopped: 0,
    };
    const images = await this.options.images.usage();
    const cgroup = await cgroupVersion();
    return {
      ID: this.engineId,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: images.count,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
      ],
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'null'],
        Authorization: null,
        Log: ['k8s-file'],
      },
      MemoryLimit: true,
      SwapLimit: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      OomKillDisable: cgroup === '1',
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: false,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'k8s-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: cgroup,
      NEventsListener: this.options.eventListeners(),
      KernelVersion: release(),
      OperatingSystem: await osName(),
      OSVersion: '',
      OSType: 'linux',
      Architecture: goArch(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: this.options.dataRoot,
      HttpProxy: process.env['HTTP_PROXY'] ?? '',
      HttpsProxy: process.env['HTTPS_PROXY'] ?? '',
      NoProxy: process.env['NO_PROXY'] ?? '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: berthVersion,
      Runtimes: await this.runtimes(apiVersion),
      DefaultRuntime: this.options.runtime?.runtimeName ?? 'runc',
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'tini',
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: '', Expected: '' },
      InitCommit: { ID: '', Expected: '' },
      SecurityOptions: ['name=seccomp,profile=builtin', `name=cgroupns`],
      // CDI devices need dockerd's experimental mode, so dockerd shows an empty list; so do we.
      CDISpecDirs: [],
      ...(this.options.defaultAddressPools?.length
        ? {
            DefaultAddressPools: this.options.defaultAddressPools.map((pool) => ({
              Base: pool.base,
              Size: pool.size,
            })),
          }
        : {}),
      Warnings: [],
    };
  }

  /** GET /system/df; images lose VirtualSize from API 1.44 on, as in the image list. */
  async diskUsage(apiVersion: string = this.options.apiVersion): Promise<Record<string, unknown>> {
    const images = await this.options.images.usage();
    const fs = await statfs(this.options.dataRoot).catch(() => undefined);
    const build = await this.buildCache?.diskUsage();
    return {
      LayersSize: images.layersSize,
      Images: images.images.map((image) => imageSummaryForApi(image, apiVersion)),
      Containers: (await this.containers?.diskUsage()) ?? [],
      Volumes: (await this.volumes?.diskUsage()) ?? [],
      BuildCache: build?.items ?? [],
      ...(fs ? { BuilderSize: build?.size ?? 0 } : {}),
    };
  }
}
