import { method, type ServiceOf } from '../contract';
import type { PruneResult, VolumeEntry, VolumeSummary } from '../types';
import { v } from '../validation';

const volumeName = v.string({ min: 1, max: 256, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ });

export const volumesSpec = {
  list: method<VolumeSummary[]>()(v.none()),
  create: method<VolumeSummary>()(
    v.object({
      name: v.optional(volumeName),
      labels: v.optional(v.record(v.string({ max: 1024 }))),
    }),
  ),
  remove: method<void>()(v.object({ name: volumeName, force: v.optional(v.boolean()) })),
  prune: method<PruneResult>()(v.none()),
  /** Read-only listing of one directory inside the volume (archive API on a helper container). */
  browse: method<VolumeEntry[]>()(
    v.object({
      name: volumeName,
      path: v.string({ min: 1, max: 4096, pattern: /^(?!.*(^|\/)\.\.(\/|$))\// }),
    }),
  ),
};

export type VolumesService = ServiceOf<typeof volumesSpec>;
