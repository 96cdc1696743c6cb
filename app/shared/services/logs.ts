import { method, type ServiceOf } from '../contract';
import type { LogBatch } from '../workbench-types';
import { dockerRef, v } from '../validation';

const logWindow = {
  follow: v.optional(v.boolean()),
  tail: v.optional(v.number({ integer: true, min: 0, max: 10_000_000 })),
  since: v.optional(v.number({ min: 0 })),
  until: v.optional(v.number({ min: 0 })),
};

export const logsSpec = {
  /**
   * Subscription: log lines in batches (one per 16 ms or 16 KiB). since/until are unix seconds and
   * are applied by the engine. Ends when the container stops (follow) or the log is read.
   */
  follow: method<void, LogBatch>()(
    v.object({
      id: dockerRef,
      ...logWindow,
      stdout: v.optional(v.boolean()),
      stderr: v.optional(v.boolean()),
    }),
  ),
  /**
   * Subscription: the merged log of every container of a compose project (label
   * com.docker.compose.project), each line tagged with its container's name (`source`) and
   * ordered by timestamp within each batch window. `tail` applies per container.
   */
  followProject: method<void, LogBatch>()(
    v.object({
      project: v.string({ min: 1, max: 256, pattern: /^[^\p{Cc}]+$/u }),
      ...logWindow,
    }),
  ),
};

export type LogsService = ServiceOf<typeof logsSpec>;
