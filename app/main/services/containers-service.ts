import type Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo } from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { ContainersService } from '../../shared/services/containers';
import type {
  BulkItemResult,
  ContainerAction,
  ContainerState,
  ContainerStatsSnapshot,
  ContainerSummary,
  RunSpec,
} from '../../shared/types';
import type { EngineAccess } from '../engine/engine-manager';
import { mapWithConcurrency } from './concurrency';
import { isNotModified, toServiceError } from './errors';
import { pullImage, withDefaultTag } from './pull';

/** Cap on engine requests in flight for bulk actions and stats snapshots. */
export const engineConcurrency = 4;

const knownStates = new Set<ContainerState>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

export function toContainerSummary(info: ContainerInfo): ContainerSummary {
  const labels = info.Labels ?? {};
  const state = (info.State ?? '').toLowerCase() as ContainerState;
  const summary: ContainerSummary = {
    id: info.Id,
    name: (info.Names?.[0] ?? info.Id.slice(0, 12)).replace(/^\//, ''),
    image: info.Image,
    imageId: info.ImageID,
    command: info.Command ?? '',
    state: knownStates.has(state) ? state : 'dead',
    status: info.Status ?? '',
    created: info.Created,
    ports: (info.Ports ?? []).map((port) => ({
      privatePort: port.PrivatePort,
      ...(port.PublicPort ? { publicPort: port.PublicPort } : {}),
      ...(port.IP ? { ip: port.IP } : {}),
      type: port.Type,
    })),
    labels,
  };
  const project = labels['com.docker.compose.project'];
  if (project) summary.composeProject = project;
  const service = labels['com.docker.compose.service'];
  if (service) summary.composeService = service;
  return summary;
}

interface CpuSample {
  cpuTotal: number;
  systemTotal: number;
}

interface RawStats {
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** CPU % from two samples, as the docker CLI computes it. */
export function cpuPercent(
  previous: CpuSample | undefined,
  current: CpuSample,
  onlineCpus: number,
): number {
  if (!previous) return 0;
  const cpuDelta = current.cpuTotal - previous.cpuTotal;
  const systemDelta = current.systemTotal - previous.systemTotal;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

/** Memory as the CLI shows it: usage minus the reclaimable page cache (v1 or v2 key). */
export function memoryUsage(stats: RawStats['memory_stats']): number {
  const usage = stats?.usage ?? 0;
  const cache = stats?.stats?.total_inactive_file ?? stats?.stats?.inactive_file ?? 0;
  return Math.max(0, usage - cache);
}

function createOptions(spec: RunSpec): ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string; HostIp?: string }[]> = {};
  for (const port of spec.ports ?? []) {
    const key = `${port.containerPort}/${port.protocol ?? 'tcp'}`;
    exposed[key] = {};
    bindings[key] = [
      {
        HostPort: port.hostPort ? String(port.hostPort) : '',
        ...(port.hostIp ? { HostIp: port.hostIp } : {}),
      },
    ];
  }
  const options: ContainerCreateOptions = {
    Image: withDefaultTag(spec.image),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Binds: (spec.volumes ?? []).map(
        (mount) => `${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}`,
      ),
      RestartPolicy: { Name: spec.restartPolicy ?? 'no' },
      ...(spec.network ? { NetworkMode: spec.network } : {}),
    },
  };
  if (spec.name) options.name = spec.name;
  if (spec.command?.length) options.Cmd = spec.command;
  if (spec.env?.length) options.Env = spec.env;
  return options;
}

async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(withDefaultTag(ref)).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw toServiceError(error);
  }
}

export function createContainersService(engine: EngineAccess): ContainersService {
  const cpuSamples = new Map<string, CpuSample>();

  const act = async (id: string, action: ContainerAction, force = false): Promise<void> => {
    const container = engine.docker().getContainer(id);
    try {
      switch (action) {
        case 'start':
          return void (await container.start());
        case 'stop':
          return void (await container.stop());
        case 'restart':
          return void (await container.restart());
        case 'pause':
          return void (await container.pause());
        case 'unpause':
          return void (await container.unpause());
        case 'remove':
          return void (await container.remove({ force }));
      }
    } catch (error) {
      // Already started / already stopped: the user got what they asked for.
      if (isNotModified(error)) return;
      throw toServiceError(error);
    }
  };

  return {
    list: async () => {
      try {
        const containers = await engine.docker().listContainers({ all: true });
        return containers.map(toContainerSummary);
      } catch (error) {
        throw toServiceError(error);
      }
    },
    start: ({ id }) => act(id, 'start'),
    stop: async ({ id, timeoutSeconds }) => {
      try {
        await engine
          .docker()
          .getContainer(id)
          .stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
      } catch (error) {
        if (!isNotModified(error)) throw toServiceError(error);
      }
    },
    restart: ({ id }) => act(id, 'restart'),
    pause: ({ id }) => act(id, 'pause'),
    unpause: ({ id }) => act(id, 'unpause'),
    remove: ({ id, force }) => act(id, 'remove', force ?? false),
    bulk: async ({ action, ids, force }, options = {}) =>
      mapWithConcurrency(ids, engineConcurrency, async (id): Promise<BulkItemResult> => {
        if (options.signal?.aborted) {
          const result = { id, ok: false, error: { code: 'cancelled', message: 'cancelled' } };
          options.onProgress?.(result);
          return result;
        }
        let result: BulkItemResult;
        try {
          await act(id, action, force ?? false);
          result = { id, ok: true };
        } catch (error) {
          const serviceError = toServiceError(error);
          result = {
            id,
            ok: false,
            error: { code: serviceError.code, message: serviceError.message },
          };
        }
        options.onProgress?.(result);
        return result;
      }),
    run: async (spec, options = {}) => {
      const docker = engine.docker();
      const policy = spec.pull ?? 'missing';
      if (
        policy === 'always' ||
        (policy === 'missing' && !(await imagePresent(docker, spec.image)))
      ) {
        await pullImage(docker, spec.image, options.onProgress, options.signal);
      }
      if (options.signal?.aborted) throw new ServiceError('cancelled', 'run cancelled');
      try {
        const container = await docker.createContainer(createOptions(spec));
        await container.start();
        return { id: container.id, warnings: [] };
      } catch (error) {
        throw toServiceError(error);
      }
    },
    statsSnapshot: async ({ ids }) => {
      const docker = engine.docker();
      const snapshots = await mapWithConcurrency(ids, engineConcurrency, async (id) => {
        try {
          const raw = (await docker
            .getContainer(id)
            .stats({ stream: false, 'one-shot': true } as { stream: false })) as RawStats;
          const sample: CpuSample = {
            cpuTotal: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
            systemTotal: raw.cpu_stats?.system_cpu_usage ?? 0,
          };
          const cpus =
            raw.cpu_stats?.online_cpus ?? raw.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
          const snapshot: ContainerStatsSnapshot = {
            id,
            cpuPercent: cpuPercent(cpuSamples.get(id), sample, cpus),
            memoryBytes: memoryUsage(raw.memory_stats),
            memoryLimitBytes: raw.memory_stats?.limit ?? 0,
          };
          cpuSamples.set(id, sample);
          return snapshot;
        } catch (error) {
          const serviceError = toServiceError(error);
          if (serviceError.code === 'engine_unreachable') throw serviceError;
          // The container stopped between list and stats: no sample this round, not a failure.
          cpuSamples.delete(id);
          return undefined;
        }
      });
      return snapshots.filter(
        (snapshot): snapshot is ContainerStatsSnapshot => snapshot !== undefined,
      );
    },
  };
}
