// Renders a container's stats in the exact shape of Docker's `GET /containers/{id}/stats`. The
// CLI's memory column subtracts `stats.total_inactive_file` (v1) or `stats.inactive_file` (v2),
// so memory_stats.stats carries the kernel's memory.stat keys as they are.
import type { CgroupStats } from '../../drivers/cgroups/cgroup-stats';
import type { InterfaceCounters, SystemCpu } from './host-stats';

/** One reading of a container: its cgroup, the host CPU counter and when it was taken. */
export interface StatsSample {
  cgroup: CgroupStats;
  system: SystemCpu;
  /** Wall-clock time of the reading, ms since the epoch. */
  takenAtMs: number;
  /** The same time in nanoseconds since the epoch, for Docker's nanosecond `read`. */
  takenAtNs: bigint;
}

export interface StatsDocumentInput {
  id: string;
  name: string;
  current: StatsSample;
  /** The previous reading; undefined renders zeroed precpu_stats, as Docker's first sample. */
  previous: StatsSample | undefined;
  networks: Record<string, InterfaceCounters>;
  /** Reported as the memory limit of an unlimited container. */
  hostMemory: number;
  cgroupVersion: 1 | 2;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function formatStatsTime(sample: StatsSample | undefined): string {
  if (!sample) return ZERO_TIME;
  const seconds = sample.takenAtNs / 1_000_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const nanos = (sample.takenAtNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso}.${nanos}Z`;
}

export interface DockerCpuStats {
  cpu_usage: {
    total_usage: number;
    percpu_usage?: number[];
    usage_in_kernelmode: number;
    usage_in_usermode: number;
  };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

function cpuStats(sample: StatsSample | undefined, cgroupVersion: 1 | 2): DockerCpuStats {
  if (!sample) {
    return {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    };
  }
  const cpu = sample.cgroup.cpu;
  return {
    cpu_usage: {
      total_usage: cpu.totalUsageNs,
      // Docker sends per-CPU usage only where cgroup v1 provides it.
      ...(cgroupVersion === 1 ? { percpu_usage: cpu.perCpuNs } : {}),
      usage_in_kernelmode: cpu.systemNs,
      usage_in_usermode: cpu.userNs,
    },
    system_cpu_usage: sample.system.totalNs,
    online_cpus: sample.system.onlineCpus,
    throttling_data: {
      periods: cpu.throttling.periods,
      throttled_periods: cpu.throttling.throttledPeriods,
      throttled_time: cpu.throttling.throttledTimeNs,
    },
  };
}

const blkioEntries = (entries: CgroupStats['blkio']['serviceBytes']) =>
  entries.map((entry) => ({
    major: entry.major,
    minor: entry.minor,
    op: entry.op,
    value: entry.value,
  }));

export function renderStats(input: StatsDocumentInput) {
  const { current, previous, cgroupVersion } = input;
  const memory = current.cgroup.memory;
  return {
    read: formatStatsTime(current),
    preread: formatStatsTime(previous),
    pids_stats: {
      current: current.cgroup.pids.current,
      ...(current.cgroup.pids.limit !== undefined ? { limit: current.cgroup.pids.limit } : {}),
    },
    blkio_stats: {
      io_service_bytes_recursive: blkioEntries(current.cgroup.blkio.serviceBytes),
      io_serviced_recursive:
        cgroupVersion === 1 ? blkioEntries(current.cgroup.blkio.serviced) : null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(current, cgroupVersion),
    precpu_stats: cpuStats(previous, cgroupVersion),
    memory_stats: {
      usage: memory.usage,
      ...(cgroupVersion === 1 ? { max_usage: memory.maxUsage, failcnt: memory.failcnt } : {}),
      stats: memory.stats,
      limit: memory.limit ?? input.hostMemory,
    },
    name: input.name.startsWith('/') ? input.name : `/${input.name}`,
    id: input.id,
    networks: input.networks,
  };
}

export type StatsDocument = ReturnType<typeof renderStats>;
