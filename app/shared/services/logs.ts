import { method, type ServiceOf } from '../contract';
import type { LogBatch } from '../workbench-types';
import { dockerRef, v } from '../validation';

export const logsSpec = {
  /**
   * Subscription: log lines in batches (one per 16 ms or 16 KiB). since/until are unix seconds and
   * are applied by the engine. Ends when the container stops (follow) or the log is read.
   */
  follow: method<void, LogBatch>()(
    v.object({
      id: dockerRef,
      follow: v.optional(v.boolean()),
      tail: v.optional(v.number({ integer: true, min: 0, max: 10_000_000 })),
      since: v.optional(v.number({ min: 0 })),
      until: v.optional(v.number({ min: 0 })),
      stdout: v.optional(v.boolean()),
      stderr: v.optional(v.boolean()),
    }),
  ),
};

export type LogsService = ServiceOf<typeof logsSpec>;
