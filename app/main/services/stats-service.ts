import type { Readable } from 'node:stream';
import type { StatsService } from '../../shared/services/stats';
import type { StatsSample } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { cpuPercent, memoryUsage } from './containers-service';
import { toServiceError } from './errors';
import { NdjsonSplitter } from './ndjson';

export interface RawStatsSample {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: RawStatsSample['cpu_stats'];
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: {
    io_service_bytes_recursive?: { op?: string; value?: number }[] | null;
  };
  pids_stats?: { current?: number };
}

/** One engine stats object → the sample the charts plot (CPU % from its own precpu section). */
export function toStatsSample(raw: RawStatsSample, now = Date.now()): StatsSample {
  const cpu = raw.cpu_stats;
  const previous = raw.precpu_stats;
  const cpus = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  let rx = 0;
  let tx = 0;
  for (const network of Object.values(raw.networks ?? {})) {
    rx += network.rx_bytes ?? 0;
    tx += network.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (entry.op ?? '').toLowerCase();
    if (op === 'read') read += entry.value ?? 0;
    if (op === 'write') write += entry.value ?? 0;
  }
  const time = raw.read ? Date.parse(raw.read) : NaN;
  return {
    time: Number.isFinite(time) && time > 0 ? time : now,
    cpuPercent: cpuPercent(
      previous?.system_cpu_usage
        ? {
            cpuTotal: previous.cpu_usage?.total_usage ?? 0,
            systemTotal: previous.system_cpu_usage,
          }
        : undefined,
      { cpuTotal: cpu?.cpu_usage?.total_usage ?? 0, systemTotal: cpu?.system_cpu_usage ?? 0 },
      cpus,
    ),
    memoryBytes: memoryUsage(raw.memory_stats),
    memoryLimitBytes: raw.memory_stats?.limit ?? 0,
    netRxBytes: rx,
    netTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: write,
    pids: raw.pids_stats?.current ?? 0,
  };
}

export function createStatsService(engine: EngineAccess): StatsService {
  return {
    follow: async ({ id }, options = {}) => {
      let stream: Readable;
      try {
        stream = (await engine
          .docker()
          .getContainer(id)
          .stats({ stream: true })) as unknown as Readable;
      } catch (error) {
        throw toServiceError(error);
      }
      const splitter = new NdjsonSplitter();
      await new Promise<void>((resolve, reject) => {
        const finish = (error?: unknown) => {
          options.signal?.removeEventListener('abort', onAbort);
          stream.destroy();
          if (error) reject(toServiceError(error));
          else resolve();
        };
        const onAbort = () => finish();
        if (options.signal?.aborted) return finish();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('data', (chunk: Buffer) => {
          try {
            splitter.push(chunk, (raw) => {
              // A stopped container streams zeroed samples: skip them rather than plot zeros.
              const sample = raw as RawStatsSample;
              if (!sample.cpu_stats?.system_cpu_usage && !sample.memory_stats?.usage) return;
              options.onProgress?.(toStatsSample(sample));
            });
          } catch (error) {
            finish(error);
          }
        });
        stream.once('end', () => finish());
        stream.once('error', (error) => finish(error));
      });
    },
  };
}
