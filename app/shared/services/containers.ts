import { method, type ServiceOf } from '../contract';
import type {
  BulkItemResult,
  ContainerStatsSnapshot,
  ContainerSummary,
  PullProgress,
} from '../types';
import { dockerRef, v } from '../validation';

const containerId = dockerRef;

export const runSpecSchema = v.object({
  image: dockerRef,
  name: v.optional(v.string({ min: 1, max: 128, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ })),
  command: v.optional(v.array(v.string({ max: 4096 }), { max: 256 })),
  env: v.optional(v.array(v.string({ min: 1, max: 32768, pattern: /^[^=]+=/ }), { max: 512 })),
  ports: v.optional(
    v.array(
      v.object({
        containerPort: v.number({ integer: true, min: 1, max: 65535 }),
        hostPort: v.optional(v.number({ integer: true, min: 0, max: 65535 })),
        hostIp: v.optional(v.string({ min: 7, max: 15, pattern: /^(\d{1,3}\.){3}\d{1,3}$/ })),
        protocol: v.optional(v.literal('tcp', 'udp')),
      }),
      { max: 256 },
    ),
  ),
  volumes: v.optional(
    v.array(
      v.object({
        source: v.string({ min: 1, max: 4096 }),
        target: v.string({ min: 1, max: 4096, pattern: /^\// }),
        readOnly: v.optional(v.boolean()),
      }),
      { max: 256 },
    ),
  ),
  network: v.optional(v.string({ min: 1, max: 256 })),
  restartPolicy: v.optional(v.literal('no', 'always', 'unless-stopped', 'on-failure')),
  pull: v.optional(v.literal('missing', 'always', 'never')),
});

export const containersSpec = {
  list: method<ContainerSummary[]>()(v.none()),
  start: method<void>()(v.object({ id: containerId })),
  stop: method<void>()(
    v.object({
      id: containerId,
      timeoutSeconds: v.optional(v.number({ integer: true, min: 0, max: 3600 })),
    }),
  ),
  restart: method<void>()(v.object({ id: containerId })),
  pause: method<void>()(v.object({ id: containerId })),
  unpause: method<void>()(v.object({ id: containerId })),
  remove: method<void>()(
    v.object({ id: containerId, force: v.optional(v.boolean()), volumes: v.optional(v.boolean()) }),
  ),
  /** One action over many containers; every item reports its own outcome. */
  bulk: method<BulkItemResult[], BulkItemResult>()(
    v.object({
      action: v.literal('start', 'stop', 'restart', 'pause', 'unpause', 'remove'),
      ids: v.array(containerId, { max: 5000 }),
      force: v.optional(v.boolean()),
    }),
  ),
  /** Pulls the image when needed (progress streamed), creates and starts. Resolves to the id. */
  run: method<{ id: string; warnings: string[] }, PullProgress>()(runSpecSchema),
  /** One-shot stats for the given running containers, fetched with a concurrency cap. */
  statsSnapshot: method<ContainerStatsSnapshot[]>()(
    v.object({ ids: v.array(containerId, { max: 200 }) }),
  ),
};

export type ContainersService = ServiceOf<typeof containersSpec>;
