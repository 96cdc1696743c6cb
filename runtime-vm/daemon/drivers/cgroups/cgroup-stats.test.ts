import { describe, expect, it } from 'vitest';
import { parseBlkioV1, parseIoStatV2, parseLimit, parseV1, parseV2 } from './cgroup-stats';

describe('cgroup v1', () => {
  it('parses cpu, memory, pids and blkio files', () => {
    const stats = parseV1({
      cpuacctUsage: '123456789\n',
      cpuacctUsagePercpu: '100000000 23456789 \n',
      cpuacctStat: 'user 5\nsystem 7\n',
      cpuStat: 'nr_periods 10\nnr_throttled 2\nthrottled_time 3000\n',
      memoryUsage: '10485760\n',
      memoryMaxUsage: '20971520\n',
      memoryLimit: '9223372036854771712\n',
      memoryFailcnt: '0\n',
      memoryStat: 'cache 4096\nrss 8192\ntotal_inactive_file 1024\n',
      pidsCurrent: '3\n',
      pidsMax: 'max\n',
      blkioServiceBytes: '8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n',
      blkioServiced: '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
    });
    expect(stats.cpu).toEqual({
      totalUsageNs: 123456789,
      perCpuNs: [100000000, 23456789],
      userNs: 50_000_000,
      systemNs: 70_000_000,
      throttling: { periods: 10, throttledPeriods: 2, throttledTimeNs: 3000 },
    });
    expect(stats.memory).toEqual({
      usage: 10485760,
      maxUsage: 20971520,
      limit: undefined,
      failcnt: 0,
      stats: { cache: 4096, rss: 8192, total_inactive_file: 1024 },
    });
    expect(stats.pids).toEqual({ current: 3, limit: undefined });
    expect(stats.blkio.serviceBytes).toEqual([
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 8, minor: 0, op: 'Total', value: 12288 },
    ]);
    expect(stats.blkio.serviced).toHaveLength(2);
  });
});

describe('cgroup v2', () => {
  it('parses cpu.stat, memory.*, pids and io.stat', () => {
    const stats = parseV2({
      cpuStat:
        'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n',
      memoryCurrent: '4096\n',
      memoryPeak: '8192\n',
      memoryMax: '67108864\n',
      memoryStat: 'anon 1024\nfile 2048\ninactive_file 512\n',
      memoryEvents: 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      pidsCurrent: '2\n',
      pidsMax: '50\n',
      ioStat: '259:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
    });
    expect(stats.cpu).toEqual({
      totalUsageNs: 2_000_000,
      perCpuNs: [],
      userNs: 1_500_000,
      systemNs: 500_000,
      throttling: { periods: 4, throttledPeriods: 1, throttledTimeNs: 7000 },
    });
    expect(stats.memory).toEqual({
      usage: 4096,
      maxUsage: 8192,
      limit: 67108864,
      failcnt: 3,
      stats: { anon: 1024, file: 2048, inactive_file: 512 },
    });
    expect(stats.pids).toEqual({ current: 2, limit: 50 });
    expect(stats.blkio.serviceBytes).toEqual([
      { major: 259, minor: 0, op: 'read', value: 100 },
      { major: 259, minor: 0, op: 'write', value: 200 },
    ]);
  });

  it('limits: max and v1 unlimited are undefined; empty files are harmless', () => {
    expect(parseLimit('max')).toBeUndefined();
    expect(parseLimit('9223372036854771712')).toBeUndefined();
    expect(parseLimit('1024')).toBe(1024);
    expect(parseBlkioV1('')).toEqual([]);
    expect(parseIoStatV2('')).toEqual({ serviceBytes: [], serviced: [] });
  });
});
