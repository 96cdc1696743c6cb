import type { Readable } from 'node:stream';
import type { LogsService } from '../../shared/services/logs';
import type { LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { FrameDemuxer, LineBatcher, LineSplitter } from './log-lines';

export interface LogsRequest {
  id: string;
  follow?: boolean;
  tail?: number;
  since?: number;
  until?: number;
  stdout?: boolean;
  stderr?: boolean;
}

/** Reads a container's log through the engine, calling onLines with batched lines. */
export async function readLogs(
  engine: EngineAccess,
  request: LogsRequest,
  onLines: (lines: LogLine[]) => void,
  signal?: AbortSignal,
): Promise<void> {
  const container = engine.docker().getContainer(request.id);
  let stream: Readable | Buffer;
  let tty: boolean;
  try {
    tty = (await container.inspect()).Config.Tty;
    stream = (await container.logs({
      follow: (request.follow ?? true) as true,
      stdout: request.stdout ?? true,
      stderr: request.stderr ?? true,
      timestamps: true,
      ...(request.tail !== undefined ? { tail: request.tail } : {}),
      ...(request.since !== undefined ? { since: request.since } : {}),
      ...(request.until !== undefined ? { until: request.until } : {}),
    })) as unknown as Readable | Buffer;
  } catch (error) {
    throw toServiceError(error);
  }
  const batcher = new LineBatcher(onLines);
  const push = batcher.push.bind(batcher);
  const demuxer = new FrameDemuxer();
  const splitters = { stdout: new LineSplitter('stdout'), stderr: new LineSplitter('stderr') };
  const take = (chunk: Buffer) => {
    if (tty) splitters.stdout.push(chunk, push);
    else demuxer.push(chunk, (which, payload) => splitters[which].push(payload, push));
  };
  if (Buffer.isBuffer(stream)) {
    // Without follow, dockerode buffers the whole answer instead of streaming it.
    take(stream);
    splitters.stdout.end(push);
    splitters.stderr.end(push);
    batcher.flush();
    batcher.dispose();
    return;
  }
  const readable = stream;
  await new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      readable.destroy();
      if (error) {
        batcher.dispose();
        reject(toServiceError(error));
        return;
      }
      splitters.stdout.end(push);
      splitters.stderr.end(push);
      batcher.flush();
      batcher.dispose();
      resolve();
    };
    const onAbort = () => finish();
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (tty) splitters.stdout.push(chunk, push);
      else demuxer.push(chunk, (which, payload) => splitters[which].push(payload, push));
    });
    stream.once('end', () => finish());
    stream.once('error', (error) => finish(error));
  });
}

export function createLogsService(engine: EngineAccess): LogsService {
  return {
    follow: (args, options = {}) =>
      readLogs(engine, args, (lines) => options.onProgress?.({ lines }), options.signal),
  };
}
