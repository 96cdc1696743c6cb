import { method, type ServiceOf } from '../contract';
import type { EngineConfig, EngineEvent, EngineStatus } from '../types';
import { v } from '../validation';

const engineId = v.string({ min: 1, max: 200 });

export const engineSpec = {
  /** Status of the active engine: version/OS/resources, or why it cannot be reached. */
  status: method<EngineStatus>()(v.none()),
  /** Every known engine (local berthd, DOCKER_HOST, CLI contexts, added by hand). */
  list: method<{ engines: EngineConfig[]; activeId: string }>()(v.none()),
  setActive: method<EngineStatus>()(v.object({ id: engineId })),
  add: method<EngineConfig>()(
    v.object({
      name: v.string({ min: 1, max: 100 }),
      endpoint: v.string({ min: 6, max: 1000, pattern: /^(unix|tcp|ssh|npipe):\/\/.+/ }),
      tls: v.optional(
        v.object({
          ca: v.optional(v.string({ max: 4096 })),
          cert: v.optional(v.string({ max: 4096 })),
          key: v.optional(v.string({ max: 4096 })),
          verify: v.optional(v.boolean()),
        }),
      ),
    }),
  ),
  remove: method<void>()(v.object({ id: engineId })),
  /**
   * Subscription: engine events (and 'engine' events when the active engine changes or the
   * stream reconnects). Never resolves; abort the call to unsubscribe.
   */
  events: method<void, EngineEvent>()(v.none()),
};

export type EngineService = ServiceOf<typeof engineSpec>;
