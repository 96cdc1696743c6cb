import { method, type ServiceOf } from '../contract';
import type { StatsSample } from '../workbench-types';
import { dockerRef, v } from '../validation';

export const statsSpec = {
  /** Subscription: one sample per second from the engine's stats stream until aborted. */
  follow: method<void, StatsSample>()(v.object({ id: dockerRef })),
};

export type StatsService = ServiceOf<typeof statsSpec>;
