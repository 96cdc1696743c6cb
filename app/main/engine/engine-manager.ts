// Owns the list of engines and the active one, and hands a dockerode client for it to services.
// Switching the active engine notifies subscribers (the events stream), so every page refetches.
import { existsSync, statSync } from 'node:fs';
import Docker from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { EngineConfig, EngineInfo, EngineStatus, UnreachableReason } from '../../shared/types';
import { unreachableReasonOf } from '../services/errors';
import { discoverEngines, type DiscoveryInput } from './discovery';
import { dockerOptionsFor, unixSocketPath } from './endpoint';
import type { SettingsStore } from './settings-store';

/** Oldest Engine API the app's calls are written for (Docker 19.03). */
export const minimumApiVersion = '1.40';
const statusTimeoutMs = 5000;

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** What services need from the engine layer (the consumer owns this small interface). */
export interface EngineAccess {
  docker(): Docker;
  activeEngine(): EngineConfig;
  onActiveChange(listener: (engine: EngineConfig) => void): () => void;
}

export class EngineManager implements EngineAccess {
  private client: Docker | undefined;
  private readonly listeners = new Set<(engine: EngineConfig) => void>();

  constructor(
    private readonly settings: SettingsStore,
    private readonly discovery: DiscoveryInput,
  ) {
    const saved = this.settings.get().activeEngineId;
    const initial = discovery.cliEngine ? 'cli' : saved;
    if (!this.list().some((engine) => engine.id === initial)) {
      this.settings.update({ activeEngineId: this.list()[0]!.id });
    } else if (initial !== saved) {
      this.settings.update({ activeEngineId: initial });
    }
  }

  list(): EngineConfig[] {
    return [...discoverEngines(this.discovery), ...this.settings.get().manualEngines];
  }

  activeEngine(): EngineConfig {
    const id = this.settings.get().activeEngineId;
    const engines = this.list();
    return engines.find((engine) => engine.id === id) ?? engines[0]!;
  }

  docker(): Docker {
    this.client ??= new Docker(dockerOptionsFor(this.activeEngine()));
    return this.client;
  }

  setActive(id: string): EngineConfig {
    const engine = this.list().find((candidate) => candidate.id === id);
    if (!engine) throw new ServiceError('not_found', `no engine with id "${id}"`);
    this.settings.update({ activeEngineId: id });
    this.client = undefined;
    for (const listener of [...this.listeners]) listener(engine);
    return engine;
  }

  add(input: Omit<EngineConfig, 'id' | 'kind'>): EngineConfig {
    dockerOptionsFor({ ...input, id: 'probe', kind: 'manual' }); // rejects unusable endpoints now
    const manualEngines = this.settings.get().manualEngines;
    const engine: EngineConfig = {
      ...input,
      id: `manual:${Date.now().toString(36)}`,
      kind: 'manual',
    };
    this.settings.update({ manualEngines: [...manualEngines, engine] });
    return engine;
  }

  remove(id: string): void {
    const manualEngines = this.settings.get().manualEngines;
    if (!manualEngines.some((engine) => engine.id === id)) {
      throw new ServiceError(
        'invalid_argument',
        `engine "${id}" was not added by hand and cannot be removed`,
      );
    }
    this.settings.update({ manualEngines: manualEngines.filter((engine) => engine.id !== id) });
    if (this.settings.get().activeEngineId === id) this.setActive(this.list()[0]!.id);
  }

  onActiveChange(listener: (engine: EngineConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async status(): Promise<EngineStatus> {
    const engine = this.activeEngine();
    const socketPath = unixSocketPath(engine.endpoint);
    if (socketPath && !existsSync(socketPath)) {
      return unreachable(
        engine,
        'socket_missing',
        `No engine socket at ${socketPath}.`,
        hintFor(engine, 'socket_missing'),
      );
    }
    if (socketPath && !statSync(socketPath).isSocket()) {
      return unreachable(engine, 'other', `${socketPath} exists but is not a socket.`);
    }
    try {
      const docker = this.docker();
      const [version, info] = await withTimeout(Promise.all([docker.version(), docker.info()]));
      if (compareApiVersions(version.ApiVersion, minimumApiVersion) < 0) {
        return unreachable(
          engine,
          'version_too_old',
          `Engine API ${version.ApiVersion} (Docker ${version.Version}) is too old; Berth needs API ${minimumApiVersion} or newer.`,
          'Upgrade the engine, or choose another one in Settings.',
        );
      }
      return { state: 'connected', engine, info: toEngineInfo(version, info) };
    } catch (error) {
      const reason: UnreachableReason = unreachableReasonOf(error) ?? 'other';
      const message =
        reason === 'permission_denied' && socketPath
          ? `Permission denied on ${socketPath}.`
          : ((error as Error).message ?? String(error));
      return unreachable(engine, reason, message, hintFor(engine, reason));
    }
  }
}

function unreachable(
  engine: EngineConfig,
  reason: UnreachableReason,
  message: string,
  hint?: string,
): EngineStatus {
  return hint === undefined
    ? { state: 'unreachable', engine, reason, message }
    : { state: 'unreachable', engine, reason, message, hint };
}

export function hintFor(engine: EngineConfig, reason: UnreachableReason): string | undefined {
  const berthd = engine.kind === 'berthd';
  switch (reason) {
    case 'socket_missing':
      return berthd
        ? 'berthd is not running. Start it with `sudo berthd`.'
        : 'Is the engine running?';
    case 'permission_denied':
      return berthd
        ? 'Add yourself to the berth group: `sudo usermod -aG berth $USER`, then log in again.'
        : 'Add yourself to the group that owns the socket (e.g. `docker`), then log in again.';
    case 'connection_refused':
      return 'Nothing is listening at that address. Is the engine running?';
    case 'timeout':
      return 'The engine did not answer within 5 seconds.';
    default:
      return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(Object.assign(new Error('engine did not answer in time'), { code: 'ETIMEDOUT' })),
      statusTimeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface VersionLike {
  Version: string;
  ApiVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Platform?: { Name?: string };
}

interface InfoLike {
  Name?: string;
  OperatingSystem?: string;
  OSType?: string;
  NCPU?: number;
  MemTotal?: number;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  KernelVersion?: string;
  ServerVersion?: string;
}

export function toEngineInfo(version: VersionLike, info: InfoLike): EngineInfo {
  return {
    version: version.Version,
    apiVersion: version.ApiVersion,
    os: info.OperatingSystem ?? version.Os,
    osType: info.OSType ?? version.Os,
    arch: version.Arch,
    kernelVersion: version.KernelVersion ?? info.KernelVersion ?? '',
    cpus: info.NCPU ?? 0,
    memoryBytes: info.MemTotal ?? 0,
    name: info.Name ?? '',
    containers: {
      total: info.Containers ?? 0,
      running: info.ContainersRunning ?? 0,
      paused: info.ContainersPaused ?? 0,
      stopped: info.ContainersStopped ?? 0,
    },
    images: info.Images ?? 0,
    serverName: version.Platform?.Name || 'Engine',
  };
}
