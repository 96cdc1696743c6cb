import { describe, expect, it } from 'vitest';
import type { CgroupStats } from '../../drivers/cgroups/cgroup-stats';
import { parseMemTotal, parseNetDev, parseProcStat } from './host-stats';
import { StatsSampler, type StatsSources } from './stats-sampler';
import { containerStats } from './container-stats';
import { NotFoundError } from '../../errors';

const cgroup = (cpuNs: number, overrides: Partial<CgroupStats['memory']> = {}): CgroupStats => ({
  cpu: {
    totalUsageNs: cpuNs,
    perCpuNs: [cpuNs],
    userNs: cpuNs / 2,
    systemNs: cpuNs / 2,
    throttling: { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 },
  },
  memory: {
    usage: 10_000,
    maxUsage: 20_000,
    limit: undefined,
    failcnt: 0,
    stats: { total_inactive_file: 1000 },
    ...overrides,
  },
  pids: { current: 3, limit: 100 },
  blkio: { serviceBytes: [{ major: 8, minor: 0, op: 'Read', value: 4096 }], serviced: [] },
});

/** A container burning CPU at a steady rate: each read advances its counter and the host's. */
function steadySources(version: 1 | 2 = 1) {
  let reads = 0;
  const sources: StatsSources = {
    readCgroup: async () => cgroup(++reads * 1_000_000),
    readSystemCpu: async () => ({ totalNs: reads * 4_000_000, onlineCpus: 2 }),
    readNetworks: async () => ({
      eth0: {
        rx_bytes: 1,
        rx_packets: 1,
        rx_errors: 0,
        rx_dropped: 0,
        tx_bytes: 2,
        tx_packets: 1,
        tx_errors: 0,
        tx_dropped: 0,
      },
    }),
    hostMemory: async () => 8 * 1024 ** 3,
    cgroupVersion: version,
  };
  return { sources, reads: () => reads };
}

const target = { id: 'abc', name: 'web', cgroupPath: '/berth/abc', pid: 42 };

describe('host stats parsers', () => {
  it('sums /proc/stat cpu ticks into ns and counts CPUs', () => {
    const stat =
      'cpu  100 0 50 800 10 0 0 0 0 0\ncpu0 50 0 25 400 5 0 0 0 0 0\ncpu1 50 0 25 400 5 0 0 0 0 0\nintr 1\n';
    expect(parseProcStat(stat)).toEqual({ totalNs: 960 * 10_000_000, onlineCpus: 2 });
  });

  it('reads MemTotal and per-interface counters without loopback', () => {
    expect(parseMemTotal('MemTotal:       24000000 kB\nMemFree: 1 kB\n')).toBe(24_000_000 * 1024);
    const netDev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    2048      10    1    2    0     0          0         0     4096      20    3    4    0     0       0          0
`;
    expect(parseNetDev(netDev)).toEqual({
      eth0: {
        rx_bytes: 2048,
        rx_packets: 10,
        rx_errors: 1,
        rx_dropped: 2,
        tx_bytes: 4096,
        tx_packets: 20,
        tx_errors: 3,
        tx_dropped: 4,
      },
    });
  });
});

describe('StatsSampler', () => {
  it('fills precpu_stats on the very first stream=false reply', async () => {
    const { sources } = steadySources();
    const sampler = new StatsSampler(sources, { primeDelayMs: 5, minPreviousAgeMs: 0 });
    const doc = await sampler.snapshot(target, false);
    expect(doc.precpu_stats.cpu_usage.total_usage).toBe(1_000_000);
    expect(doc.cpu_stats.cpu_usage.total_usage).toBe(2_000_000);
    expect(doc.cpu_stats.system_cpu_usage).toBeGreaterThan(doc.precpu_stats.system_cpu_usage ?? 0);
    expect(doc.preread).not.toBe('0001-01-01T00:00:00Z');
    expect(doc.name).toBe('/web');
    expect(doc.memory_stats).toMatchObject({
      usage: 10_000,
      max_usage: 20_000,
      limit: 8 * 1024 ** 3,
      stats: { total_inactive_file: 1000 },
    });
    expect(doc.cpu_stats.cpu_usage.percpu_usage).toEqual([2_000_000]);
    expect(doc.networks.eth0?.tx_bytes).toBe(2);
  });

  it('reuses the kept reading instead of waiting again', async () => {
    const { sources, reads } = steadySources();
    const sampler = new StatsSampler(sources, { primeDelayMs: 5, minPreviousAgeMs: 0 });
    await sampler.snapshot(target, false);
    const before = reads();
    const doc = await sampler.snapshot(target, false);
    expect(reads() - before).toBe(1);
    expect(doc.precpu_stats.cpu_usage.total_usage).toBe(2_000_000);
  });

  it('zeroes precpu_stats for one-shot, as Docker does', async () => {
    const { sources } = steadySources();
    const doc = await new StatsSampler(sources).snapshot(target, true);
    expect(doc.preread).toBe('0001-01-01T00:00:00Z');
    expect(doc.precpu_stats.cpu_usage.total_usage).toBe(0);
    expect(doc.precpu_stats.system_cpu_usage).toBeUndefined();
  });

  it('streams one document per interval and stops on abort', async () => {
    const { sources } = steadySources(2);
    const sampler = new StatsSampler(sources);
    const abort = new AbortController();
    const docs = [];
    for await (const doc of sampler.stream(target, abort.signal, 5)) {
      docs.push(doc);
      if (docs.length === 3) abort.abort();
    }
    expect(docs).toHaveLength(3);
    expect(docs[1]!.precpu_stats.cpu_usage.total_usage).toBe(
      docs[0]!.cpu_stats.cpu_usage.total_usage,
    );
    // cgroup v2 has neither per-CPU usage nor max_usage.
    expect(docs[0]!.cpu_stats.cpu_usage.percpu_usage).toBeUndefined();
    expect(docs[0]!.memory_stats).not.toHaveProperty('max_usage');
  });
});

describe('containerStats', () => {
  it('answers a stopped container with a zeroed document, as dockerd does', async () => {
    const { sources, reads } = steadySources();
    const docs = [];
    for await (const doc of containerStats(
      new StatsSampler(sources),
      { ...target, running: false },
      { stream: true, oneShot: false, signal: new AbortController().signal },
      1,
    )) {
      docs.push(doc);
    }
    expect(docs).toHaveLength(1);
    expect(docs[0]!.read).toBe('0001-01-01T00:00:00Z');
    expect(docs[0]!.cpu_stats.cpu_usage.total_usage).toBe(0);
    expect(reads()).toBe(0);
  });

  it('ends the stream quietly when the cgroup disappears', async () => {
    const { sources } = steadySources();
    let calls = 0;
    const vanishing = {
      ...sources,
      readCgroup: async (path: string) =>
        ++calls > 1
          ? Promise.reject(new NotFoundError(`cgroup ${path} does not exist`))
          : sources.readCgroup(path),
    };
    const docs = [];
    for await (const doc of containerStats(
      new StatsSampler(vanishing),
      { ...target, running: true },
      { stream: true, oneShot: false, signal: new AbortController().signal },
      1,
    )) {
      docs.push(doc);
    }
    expect(docs).toHaveLength(1);
  });
});
