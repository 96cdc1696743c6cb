// Stats for one container as the stats route asks for them: a zeroed document for a container
// that is not running (as dockerd answers), one document for stream=false, or a document per
// second until the client leaves or the container stops.
import { NotFoundError } from '../../errors';
import type { StatsDocument } from './stats-document';
import { renderStats } from './stats-document';
import type { StatsSampler, StatsTarget } from './stats-sampler';

export interface StatsRequest {
  stream: boolean;
  oneShot: boolean;
  signal: AbortSignal;
}

const zeroCgroup = {
  cpu: {
    totalUsageNs: 0,
    perCpuNs: [],
    userNs: 0,
    systemNs: 0,
    throttling: { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 },
  },
  memory: { usage: 0, maxUsage: 0, limit: 0, failcnt: 0, stats: {} },
  pids: { current: 0, limit: undefined },
  blkio: { serviceBytes: [], serviced: [] },
};

/** What dockerd sends for a stopped container: every figure zero, times at the zero time. */
export function stoppedContainerStats(
  target: { id: string; name: string },
  cgroupVersion: 1 | 2,
): StatsDocument {
  const document = renderStats({
    id: target.id,
    name: target.name,
    current: {
      cgroup: zeroCgroup,
      system: { totalNs: 0, onlineCpus: 0 },
      takenAtMs: 0,
      takenAtNs: 0n,
    },
    previous: undefined,
    networks: {},
    hostMemory: 0,
    cgroupVersion,
  });
  return { ...document, read: '0001-01-01T00:00:00Z' };
}

export async function* containerStats(
  sampler: StatsSampler,
  target: StatsTarget & { running: boolean },
  request: StatsRequest,
  cgroupVersion: 1 | 2,
): AsyncGenerator<StatsDocument> {
  if (!target.running) {
    yield stoppedContainerStats(target, cgroupVersion);
    return;
  }
  try {
    if (!request.stream) {
      yield await sampler.snapshot(target, request.oneShot);
      return;
    }
    yield* sampler.stream(target, request.signal);
  } catch (error) {
    // The cgroup disappears when the container stops: the stream simply ends there.
    if (!(error instanceof NotFoundError)) throw error;
    sampler.forget(target.id);
  }
}
