// Turns the stats history into what the charts and the CSV show: rates from counters, peaks and
// averages, and the near-the-limit warning.
import type { StatsSample } from '../../../shared/workbench-types';

export interface Series {
  label: string;
  values: number[];
}

/** Per-second rate of a growing counter; resets (container restart) count as zero. */
export function rates(samples: StatsSample[], pick: (sample: StatsSample) => number): number[] {
  return samples.map((sample, index) => {
    if (index === 0) return 0;
    const previous = samples[index - 1]!;
    const seconds = (sample.time - previous.time) / 1000;
    const delta = pick(sample) - pick(previous);
    return seconds > 0 && delta > 0 ? delta / seconds : 0;
  });
}

export function peakAndAverage(values: number[]): { peak: number; average: number } {
  if (values.length === 0) return { peak: 0, average: 0 };
  let peak = -Infinity;
  let sum = 0;
  for (const value of values) {
    if (value > peak) peak = value;
    sum += value;
  }
  return { peak, average: sum / values.length };
}

/** Warn at 90% of a real limit (an unlimited container reports the host's memory). */
export function memoryWarning(
  sample: StatsSample | undefined,
  threshold = 0.9,
): string | undefined {
  if (!sample || sample.memoryLimitBytes <= 0) return undefined;
  const ratio = sample.memoryBytes / sample.memoryLimitBytes;
  return ratio >= threshold
    ? `Memory at ${(ratio * 100).toFixed(0)}% of its limit: the kernel will OOM-kill the container if it keeps growing.`
    : undefined;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function statsCsv(samples: StatsSample[]): string {
  const header = [
    'time',
    'cpu_percent',
    'memory_bytes',
    'memory_limit_bytes',
    'net_rx_bytes',
    'net_tx_bytes',
    'block_read_bytes',
    'block_write_bytes',
    'pids',
  ];
  const rows = samples.map((sample) =>
    [
      new Date(sample.time).toISOString(),
      sample.cpuPercent.toFixed(3),
      sample.memoryBytes,
      sample.memoryLimitBytes,
      sample.netRxBytes,
      sample.netTxBytes,
      sample.blockReadBytes,
      sample.blockWriteBytes,
      sample.pids,
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}
