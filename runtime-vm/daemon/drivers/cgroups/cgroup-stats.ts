// Resource usage of one cgroup, parsed from the kernel's text files. The parsers are pure (text
// in, numbers out) so v1 and v2 are both unit-tested on any machine; the reader picks the files.

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CgroupStats {
  cpu: {
    totalUsageNs: number;
    perCpuNs: number[];
    userNs: number;
    systemNs: number;
    throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
  };
  memory: {
    usage: number;
    maxUsage: number;
    /** Bytes; undefined when unlimited. */
    limit: number | undefined;
    failcnt: number;
    /** memory.stat keys as the kernel names them (v1 includes total_* keys). */
    stats: Record<string, number>;
  };
  pids: { current: number; limit: number | undefined };
  blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
}

/** USER_HZ on every Linux architecture Docker supports. */
const clockTicksPerSecond = 100;

const toNumber = (text: string | undefined): number => {
  const value = Number((text ?? '').trim());
  return Number.isFinite(value) ? value : 0;
};

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) into a map. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) result[key] = Number(value);
  }
  return result;
}

/** A limit file: "max" (v2) or a huge number (v1's unlimited, page-rounded) mean none. */
export function parseLimit(text: string): number | undefined {
  const value = text.trim();
  if (value === '' || value === 'max') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number >= 2 ** 62) return undefined;
  return number;
}

/** v1 blkio `8:0 Read 4096` lines; the trailing `Total N` line is skipped. */
export function parseBlkioV1(text: string): BlkioEntry[] {
  const entries: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (!match) continue;
    entries.push({
      major: Number(match[1]),
      minor: Number(match[2]),
      op: match[3] ?? '',
      value: Number(match[4]),
    });
  }
  return entries;
}

/** v2 io.stat `8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...` into Docker's v1-shaped entries. */
export function parseIoStatV2(text: string): {
  serviceBytes: BlkioEntry[];
  serviced: BlkioEntry[];
} {
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, ...fields] = line.trim().split(/\s+/);
    const match = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!match) continue;
    const major = Number(match[1]);
    const minor = Number(match[2]);
    const values = Object.fromEntries(
      fields.map((f) => f.split('=')).map(([k, v]) => [k, toNumber(v)]),
    );
    serviceBytes.push({ major, minor, op: 'read', value: values['rbytes'] ?? 0 });
    serviceBytes.push({ major, minor, op: 'write', value: values['wbytes'] ?? 0 });
    serviced.push({ major, minor, op: 'read', value: values['rios'] ?? 0 });
    serviced.push({ major, minor, op: 'write', value: values['wios'] ?? 0 });
  }
  return { serviceBytes, serviced };
}

export interface V1Files {
  cpuacctUsage: string;
  cpuacctUsagePercpu: string;
  cpuacctStat: string;
  cpuStat: string;
  memoryUsage: string;
  memoryMaxUsage: string;
  memoryLimit: string;
  memoryFailcnt: string;
  memoryStat: string;
  pidsCurrent: string;
  pidsMax: string;
  blkioServiceBytes: string;
  blkioServiced: string;
}

export function parseV1(files: V1Files): CgroupStats {
  const cpuacct = parseFlatKeyed(files.cpuacctStat);
  const cpuStat = parseFlatKeyed(files.cpuStat);
  const tickNs = 1e9 / clockTicksPerSecond;
  return {
    cpu: {
      totalUsageNs: toNumber(files.cpuacctUsage),
      perCpuNs: files.cpuacctUsagePercpu.trim().split(/\s+/).filter(Boolean).map(Number),
      userNs: (cpuacct['user'] ?? 0) * tickNs,
      systemNs: (cpuacct['system'] ?? 0) * tickNs,
      throttling: {
        periods: cpuStat['nr_periods'] ?? 0,
        throttledPeriods: cpuStat['nr_throttled'] ?? 0,
        throttledTimeNs: cpuStat['throttled_time'] ?? 0,
      },
    },
    memory: {
      usage: toNumber(files.memoryUsage),
      maxUsage: toNumber(files.memoryMaxUsage),
      limit: parseLimit(files.memoryLimit),
      failcnt: toNumber(files.memoryFailcnt),
      stats: parseFlatKeyed(files.memoryStat),
    },
    pids: { current: toNumber(files.pidsCurrent), limit: parseLimit(files.pidsMax) },
    blkio: {
      serviceBytes: parseBlkioV1(files.blkioServiceBytes),
      serviced: parseBlkioV1(files.blkioServiced),
    },
  };
}

export interface V2Files {
  cpuStat: string;
  memoryCurrent: string;
  memoryPeak: string;
  memoryMax: string;
  memoryStat: string;
  memoryEvents: string;
  pidsCurrent: string;
  pidsMax: string;
  ioStat: string;
}

export function parseV2(files: V2Files): CgroupStats {
  const cpu = parseFlatKeyed(files.cpuStat);
  const events = parseFlatKeyed(files.memoryEvents);
  return {
    cpu: {
      totalUsageNs: (cpu['usage_usec'] ?? 0) * 1000,
      // v2 has no per-CPU accounting; Docker reports none either.
      perCpuNs: [],
      userNs: (cpu['user_usec'] ?? 0) * 1000,
      systemNs: (cpu['system_usec'] ?? 0) * 1000,
      throttling: {
        periods: cpu['nr_periods'] ?? 0,
        throttledPeriods: cpu['nr_throttled'] ?? 0,
        throttledTimeNs: (cpu['throttled_usec'] ?? 0) * 1000,
      },
    },
    memory: {
      usage: toNumber(files.memoryCurrent),
      maxUsage: toNumber(files.memoryPeak),
      limit: parseLimit(files.memoryMax),
      failcnt: events['max'] ?? 0,
      stats: parseFlatKeyed(files.memoryStat),
    },
    pids: { current: toNumber(files.pidsCurrent), limit: parseLimit(files.pidsMax) },
    blkio: parseIoStatV2(files.ioStat),
  };
}
