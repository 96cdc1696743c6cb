import type { Readable } from 'node:stream';
import type { Backpressure } from '../../shared/contract';
import { ServiceError } from '../../shared/errors';
import type { LogsService } from '../../shared/services/logs';
import type { LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { FrameDemuxer, LineBatcher, LineSplitter } from './log-lines';
import { TimeOrderedMerger } from './log-merge';

export const composeProjectLabel = 'com.docker.compose.project';
/** More containers than this in one project is refused rather than opening that many streams. */
export const maxMergedContainers = 64;

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
  backpressure?: Backpressure,
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
      // Flow control: while the client is behind, stop reading (TCP holds the engine back).
      if (backpressure?.congested && !readable.isPaused()) {
        readable.pause();
        void backpressure.drained().then(() => {
          if (!readable.destroyed) readable.resume();
        });
      }
    });
    stream.once('end', () => finish());
    stream.once('error', (error) => finish(error));
  });
}

export interface ProjectLogsRequest {
  project: string;
  follow?: boolean;
  tail?: number;
  since?: number;
  until?: number;
}

/**
 * Follows every container of a compose project at once and merges their lines, tagged with the
 * container's name. Ends when every stream ended; one failing container fails the whole view.
 */
export async function readProjectLogs(
  engine: EngineAccess,
  request: ProjectLogsRequest,
  onLines: (lines: LogLine[]) => void,
  signal?: AbortSignal,
  backpressure?: Backpressure,
): Promise<void> {
  let members: { Id: string; Names?: string[] }[];
  try {
    members = await engine.docker().listContainers({
      all: true,
      filters: { label: [`${composeProjectLabel}=${request.project}`] },
    });
  } catch (error) {
    throw toServiceError(error);
  }
  if (members.length === 0) {
    throw new ServiceError('not_found', `no containers in compose project "${request.project}"`);
  }
  if (members.length > maxMergedContainers) {
    throw new ServiceError(
      'invalid_argument',
      `compose project "${request.project}" has ${members.length} containers; merged logs follow at most ${maxMergedContainers}`,
    );
  }
  const merger = new TimeOrderedMerger(onLines);
  const inner = new AbortController();
  const stopInner = () => inner.abort();
  signal?.addEventListener('abort', stopInner, { once: true });
  try {
    await Promise.all(
      members.map((member) => {
        const name = (member.Names?.[0] ?? member.Id.slice(0, 12)).replace(/^\//, '');
        return readLogs(
          engine,
          {
            id: member.Id,
            follow: request.follow,
            tail: request.tail,
            since: request.since,
            until: request.until,
          },
          (lines) => merger.push(lines.map((line) => ({ ...line, source: name }))),
          inner.signal,
          backpressure,
        );
      }),
    );
    merger.flush();
  } catch (error) {
    inner.abort();
    throw error;
  } finally {
    signal?.removeEventListener('abort', stopInner);
    merger.dispose();
  }
}

export function createLogsService(engine: EngineAccess): LogsService {
  return {
    follow: (args, options = {}) =>
      readLogs(
        engine,
        args,
        (lines) => options.onProgress?.({ lines }),
        options.signal,
        options.backpressure,
      ),
    followProject: (args, options = {}) =>
      readProjectLogs(
        engine,
        args,
        (lines) => options.onProgress?.({ lines }),
        options.signal,
        options.backpressure,
      ),
  };
}
