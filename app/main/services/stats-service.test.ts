import { describe, expect, it } from 'vitest';
import { toStatsSample } from './stats-service';

describe('toStatsSample', () => {
  it('computes CPU % from the sample and its precpu section, sums networks and block IO', () => {
    const sample = toStatsSample({
      read: '2024-01-01T00:00:01Z',
      cpu_stats: { cpu_usage: { total_usage: 2_000 }, system_cpu_usage: 20_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
      memory_stats: { usage: 5_000, limit: 10_000, stats: { inactive_file: 1_000 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'Read', value: 100 },
          { op: 'Write', value: 50 },
          { op: 'read', value: 1 },
          { op: 'Total', value: 151 },
        ],
      },
      pids_stats: { current: 4 },
    });
    expect(sample).toEqual({
      time: Date.parse('2024-01-01T00:00:01Z'),
      cpuPercent: 20,
      memoryBytes: 4_000,
      memoryLimitBytes: 10_000,
      netRxBytes: 11,
      netTxBytes: 22,
      blockReadBytes: 101,
      blockWriteBytes: 50,
      pids: 4,
    });
  });

  it('reports 0 % CPU on the first sample (zeroed precpu) and tolerates missing sections', () => {
    const sample = toStatsSample(
      { read: '0001-01-01T00:00:00Z', cpu_stats: { system_cpu_usage: 5 }, blkio_stats: {} },
      1234,
    );
    expect(sample.cpuPercent).toBe(0);
    expect(sample.netRxBytes).toBe(0);
    expect(sample.time).toBe(1234);
  });
});
