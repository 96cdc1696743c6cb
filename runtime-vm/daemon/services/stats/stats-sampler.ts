// Keeps the previous reading of each container so that `stats?stream=false` answers at once with
// precpu_stats filled, and CPU % is right on the first reply. dockerd waits a second for that; we
// keep what the last request read, and when nothing recent is kept, take two readings a short
// moment apart instead.
import { setTimeout as delay } from 'node:timers/promises';
import type { CgroupStats } from '../../drivers/cgroups/cgroup-stats';
import { readContainerNetworks, readMemTotal, readSystemCpu, type SystemCpu } from './host-stats';
import { renderStats, type StatsDocument, type StatsSample } from './stats-document';

/** What the sampler needs to know about a container; the containers service provides it. */
export interface StatsTarget {
  id: string;
  name: string;
  cgroupPath: string;
  /** The container's init pid, for network counters; undefined when not running. */
  pid: number | undefined;
}

export interface StatsSources {
  readCgroup(path: string): Promise<CgroupStats>;
  readSystemCpu(): Promise<SystemCpu>;
  readNetworks(pid: number | undefined): Promise<StatsDocument['networks']>;
  hostMemory(): Promise<number>;
  cgroupVersion: 1 | 2;
}

export interface StatsSamplerOptions {
  /** Gap between the two readings of a first request. */
  primeDelayMs: number;
  /** A kept reading older than this is not a fair "previous": CPU % would be averaged over too long. */
  maxPreviousAgeMs: number;
  /** Readings closer than this to the current one carry too little signal to divide by. */
  minPreviousAgeMs: number;
}

const defaults: StatsSamplerOptions = {
  primeDelayMs: 50,
  maxPreviousAgeMs: 5_000,
  minPreviousAgeMs: 20,
};

export function hostStatsSources(
  readCgroup: (path: string) => Promise<CgroupStats>,
  cgroupVersion: 1 | 2,
): StatsSources {
  let memTotal: Promise<number> | undefined;
  return {
    readCgroup,
    readSystemCpu,
    readNetworks: readContainerNetworks,
    hostMemory: () => (memTotal ??= readMemTotal()),
    cgroupVersion,
  };
}

export class StatsSampler {
  private readonly previous = new Map<string, StatsSample>();
  private readonly options: StatsSamplerOptions;

  constructor(
    private readonly sources: StatsSources,
    options: Partial<StatsSamplerOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  /** `stream=false`: one document; `oneShot` skips the previous reading, as Docker's one-shot does. */
  async snapshot(target: StatsTarget, oneShot: boolean): Promise<StatsDocument> {
    if (oneShot) return this.render(target, await this.sample(target), undefined);
    let previous = this.freshPrevious(target.id);
    if (!previous) {
      previous = await this.sample(target);
      await delay(this.options.primeDelayMs);
    }
    const current = await this.sample(target);
    this.previous.set(target.id, current);
    return this.render(target, current, previous);
  }

  /** `stream=true`: a document now, then one per interval until the signal aborts. */
  async *stream(
    target: StatsTarget,
    signal: AbortSignal,
    intervalMs = 1000,
  ): AsyncGenerator<StatsDocument> {
    let previous = this.freshPrevious(target.id);
    while (!signal.aborted) {
      const current = await this.sample(target);
      this.previous.set(target.id, current);
      yield await this.render(target, current, previous);
      previous = current;
      try {
        await delay(intervalMs, undefined, { signal });
      } catch {
        return; // aborted: the client went away
      }
    }
  }

  /** Drops the kept reading, when a container stops or is removed. */
  forget(id: string): void {
    this.previous.delete(id);
  }

  private freshPrevious(id: string): StatsSample | undefined {
    const kept = this.previous.get(id);
    if (!kept) return undefined;
    const age = Date.now() - kept.takenAtMs;
    return age >= this.options.minPreviousAgeMs && age <= this.options.maxPreviousAgeMs
      ? kept
      : undefined;
  }

  private async sample(target: StatsTarget): Promise<StatsSample> {
    const [cgroup, system] = await Promise.all([
      this.sources.readCgroup(target.cgroupPath),
      this.sources.readSystemCpu(),
    ]);
    const takenAtMs = Date.now();
    // Wall-clock milliseconds, refined below the millisecond by the monotonic clock.
    const takenAtNs = BigInt(takenAtMs) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    return { cgroup, system, takenAtMs, takenAtNs };
  }

  private async render(
    target: StatsTarget,
    current: StatsSample,
    previous: StatsSample | undefined,
  ): Promise<StatsDocument> {
    const [networks, hostMemory] = await Promise.all([
      this.sources.readNetworks(target.pid),
      this.sources.hostMemory(),
    ]);
    return renderStats({
      id: target.id,
      name: target.name,
      current,
      previous,
      networks,
      hostMemory,
      cgroupVersion: this.sources.cgroupVersion,
    });
  }
}
