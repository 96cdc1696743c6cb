// A short CPU/memory trail per running container for the list's sparklines, fed by the polled
// snapshots the list already fetches (no stream per row). Stopped containers drop out.
import type { ContainerStatsSnapshot } from '../../shared/types';

/** Points kept per container: about a minute and a half at the list's polling rate. */
export const trailLength = 30;

export interface StatsTrail {
  cpu: number[];
  memory: number[];
}

function pushBounded(values: readonly number[], value: number, limit: number): number[] {
  const next = values.length >= limit ? values.slice(values.length - limit + 1) : values.slice();
  next.push(value);
  return next;
}

/** The trails after one polling round: every snapshot adds a point; absent ids are forgotten. */
export function appendTrails(
  trails: Readonly<Record<string, StatsTrail>>,
  snapshots: readonly ContainerStatsSnapshot[],
  limit = trailLength,
): Record<string, StatsTrail> {
  const next: Record<string, StatsTrail> = {};
  for (const snapshot of snapshots) {
    const previous = trails[snapshot.id];
    next[snapshot.id] = {
      cpu: pushBounded(previous?.cpu ?? [], snapshot.cpuPercent, limit),
      memory: pushBounded(previous?.memory ?? [], snapshot.memoryBytes, limit),
    };
  }
  return next;
}
