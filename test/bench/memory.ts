// Memory figures for the bench: the engine's resident set at idle, and what each running
// container adds (daemon growth plus its supervisor: conmon for berthd, containerd-shim for
// dockerd). Processes are found in /proc by a marker in their command line, because supervisors
// double-fork away from the daemon.
import { readdirSync, readFileSync } from 'node:fs';
import { docker, imageRef } from './scenarios';
import type { BenchContext, BenchEngine } from './harness';

export function rssOfPid(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of RSS of every process whose command line contains all of `markers`. */
export function rssOfProcesses(markers: string[]): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (markers.every((marker) => cmdline.includes(marker))) {
      bytes += rssOfPid(Number(entry));
      count++;
    }
  }
  return { bytes, count };
}

export interface EngineProcesses {
  /** Markers that select the engine's own daemons (dockerd + containerd, or berthd). */
  daemons: string[][];
  /** Markers that select one container supervisor. */
  supervisors: string[];
}

export interface MemoryResult {
  idleMiB: number;
  perContainerMiB: number;
}

const MIB = 1024 * 1024;
const CONTAINERS = 10;

function daemonRss(processes: EngineProcesses): number {
  return processes.daemons.reduce((sum, markers) => sum + rssOfProcesses(markers).bytes, 0);
}

export async function measureMemory(
  engine: BenchEngine,
  processes: EngineProcesses,
  context: BenchContext,
): Promise<MemoryResult> {
  await docker(engine, ['pull', '-q', imageRef(context.registryHost)]);
  // Idle means nothing has happened for a while: both engines get 8 s after the pull.
  await new Promise((resolve) => setTimeout(resolve, 8000));
  const idle = daemonRss(processes);
  const names = Array.from(
    { length: CONTAINERS },
    (_, index) => `bench-mem-${engine.name}-${index}`,
  );
  try {
    for (const name of names) {
      await docker(engine, [
        'run',
        '-d',
        '--network',
        'none',
        '--name',
        name,
        imageRef(context.registryHost),
        'sleep',
        '3600',
      ]);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = daemonRss(processes) + rssOfProcesses(processes.supervisors).bytes;
    return { idleMiB: idle / MIB, perContainerMiB: (loaded - idle) / CONTAINERS / MIB };
  } finally {
    await docker(engine, ['rm', '-f', ...names]).catch(() => undefined);
  }
}
