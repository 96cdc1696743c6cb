import { describe, expect, it } from 'vitest';
import type { StatsSample } from '../../../shared/workbench-types';
import { memoryWarning, peakAndAverage, rates, statsCsv } from './stats-math';

const sample = (time: number, patch: Partial<StatsSample> = {}): StatsSample => ({
  time,
  cpuPercent: 0,
  memoryBytes: 0,
  memoryLimitBytes: 0,
  netRxBytes: 0,
  netTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 1,
  ...patch,
});

describe('stats math', () => {
  it('turns counters into per-second rates, treating resets as zero', () => {
    const samples = [
      sample(0, { netRxBytes: 100 }),
      sample(2000, { netRxBytes: 500 }),
      sample(3000, { netRxBytes: 10 }),
    ];
    expect(rates(samples, (entry) => entry.netRxBytes)).toEqual([0, 200, 0]);
  });

  it('computes peak and average', () => {
    expect(peakAndAverage([1, 5, 3])).toEqual({ peak: 5, average: 3 });
    expect(peakAndAverage([])).toEqual({ peak: 0, average: 0 });
  });

  it('warns near the memory limit only', () => {
    expect(memoryWarning(sample(0, { memoryBytes: 95, memoryLimitBytes: 100 }))).toMatch(/95%/);
    expect(memoryWarning(sample(0, { memoryBytes: 50, memoryLimitBytes: 100 }))).toBeUndefined();
    expect(memoryWarning(undefined)).toBeUndefined();
  });

  it('exports CSV with a header and one row per sample', () => {
    const csv = statsCsv([sample(0, { cpuPercent: 12.5, memoryBytes: 42 })]);
    const [header, row] = csv.trim().split('\n');
    expect(header).toBe(
      'time,cpu_percent,memory_bytes,memory_limit_bytes,net_rx_bytes,net_tx_bytes,block_read_bytes,block_write_bytes,pids',
    );
    expect(row).toBe('1970-01-01T00:00:00.000Z,12.500,42,0,0,0,0,0,1');
  });
});
