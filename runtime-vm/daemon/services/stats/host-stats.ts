// Host-wide figures the stats document needs besides the container's cgroup: the system CPU
// counter (Docker's system_cpu_usage), online CPUs, total memory, and per-interface network
// counters read from /proc/<pid>/net/dev of a process inside the container's network namespace.
import { readFile } from 'node:fs/promises';

/** USER_HZ on every Linux architecture Docker supports. */
const NS_PER_TICK = 10_000_000;

export interface SystemCpu {
  /** Sum of all CPU time on the host, in nanoseconds (Docker's system_cpu_usage). */
  totalNs: number;
  onlineCpus: number;
}

/** Parses /proc/stat: the aggregate `cpu` line and the count of `cpuN` lines. */
export function parseProcStat(text: string): SystemCpu {
  let totalTicks = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal (guest time is already inside user).
      const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
      totalTicks = fields.reduce((sum, value) => sum + (Number.isFinite(value) ? value : 0), 0);
    } else if (/^cpu\d+ /.test(line)) {
      onlineCpus++;
    }
  }
  return { totalNs: totalTicks * NS_PER_TICK, onlineCpus: Math.max(onlineCpus, 1) };
}

export async function readSystemCpu(): Promise<SystemCpu> {
  return parseProcStat(await readFile('/proc/stat', 'utf8'));
}

/** MemTotal from /proc/meminfo in bytes: Docker reports it as the limit of an unlimited container. */
export function parseMemTotal(text: string): number {
  const match = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

export async function readMemTotal(): Promise<number> {
  return parseMemTotal(await readFile('/proc/meminfo', 'utf8'));
}

export interface InterfaceCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Parses /proc/net/dev, leaving out loopback as Docker does. */
export function parseNetDev(text: string): Record<string, InterfaceCounters> {
  const interfaces: Record<string, InterfaceCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!name || name === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    interfaces[name] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return interfaces;
}

/** Network counters seen from the container's init process; empty when it has no netns of its own. */
export async function readContainerNetworks(
  pid: number | undefined,
): Promise<Record<string, InterfaceCounters>> {
  if (!pid) return {};
  try {
    return parseNetDev(await readFile(`/proc/${pid}/net/dev`, 'utf8'));
  } catch (error) {
    // The process exited between the state check and this read: no counters, not an error.
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ESRCH'
    )
      return {};
    throw error;
  }
}
