import type { Readable } from 'node:stream';
import type { Backpressure } from '../../shared/contract';
import { ServiceError } from '../../shared/errors';
import type { LogsService } from '../../shared/services/logs';
import type { LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { FrameDemuxer, LineBatcher, LineSplitter } from './log-lines';
import { TimeOrderedMerger, timeKey } from './log-merge';
import { NdjsonSplitter } from './ndjson';

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
 * container's name. Without follow it ends when every stream ended. With follow it runs until
 * aborted and, as `docker compose logs -f` does, picks up containers that start later: new ones
 * (a service scaled or recreated) from their first line, restarted ones after the last line
 * shown. One failing container fails the whole view.
 */
export async function readProjectLogs(
  engine: EngineAccess,
  request: ProjectLogsRequest,
  onLines: (lines: LogLine[]) => void,
  signal?: AbortSignal,
  backpressure?: Backpressure,
): Promise<void> {
  const label = `${composeProjectLabel}=${request.project}`;
  const inner = new AbortController();
  const stopInner = () => inner.abort();
  signal?.addEventListener('abort', stopInner, { once: true });
  // Subscribed before the listing, so a container starting in between is not missed.
  let starts: Readable | undefined;
  try {
    if (request.follow) {
      starts = (await engine.docker().getEvents({
        filters: { type: ['container'], event: ['start'], label: [label] },
      })) as unknown as Readable;
    }
    let members: { Id: string; Names?: string[] }[];
    try {
      members = await engine.docker().listContainers({ all: true, filters: { label: [label] } });
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
    const followed = new Map<string, FollowedMember>();
    let failed: (error: unknown) => void = () => undefined;
    const failure = new Promise<never>((_resolve, reject) => (failed = reject));
    failure.catch(() => undefined);
    const follow = (id: string, name: string, since: number | undefined) => {
      const member: FollowedMember = followed.get(id) ?? { active: false, lastTime: undefined };
      followed.set(id, member);
      member.active = true;
      const done = readLogs(
        engine,
        {
          id,
          follow: request.follow,
          ...(since === undefined ? { tail: request.tail, since: request.since } : { since }),
          until: request.until,
        },
        (lines) => {
          const last = lines.at(-1);
          if (last) member.lastTime = last.time;
          merger.push(lines.map((line) => ({ ...line, source: name })));
        },
        inner.signal,
        backpressure,
      );
      done.then(
        () => (member.active = false),
        (error: unknown) => failed(error),
      );
      return done;
    };
    const initial = members.map((member) =>
      follow(
        member.Id,
        (member.Names?.[0] ?? member.Id.slice(0, 12)).replace(/^\//, ''),
        undefined,
      ),
    );
    try {
      if (!starts) {
        await Promise.all(initial);
      } else {
        onContainerStarts(starts, (id, name) => {
          const member = followed.get(id);
          if (member?.active) return;
          if (!member && followed.size >= maxMergedContainers) return;
          // Restarted: after the last line shown; new (or unreadable time): from its first line.
          follow(id, name, member?.lastTime ? secondsAfter(member.lastTime) : undefined);
        });
        await Promise.race([failure, aborted(inner.signal)]);
      }
      merger.flush();
    } finally {
      merger.dispose();
    }
  } catch (error) {
    throw toServiceError(error);
  } finally {
    inner.abort();
    starts?.destroy();
    signal?.removeEventListener('abort', stopInner);
  }
}

interface FollowedMember {
  /** Its log is being followed (the stream ends when the container stops). */
  active: boolean;
  /** The engine's timestamp of the last line shown. */
  lastTime: string | undefined;
}

/** Calls onStart with each started container's id and name, from the engine's event stream. */
function onContainerStarts(events: Readable, onStart: (id: string, name: string) => void): void {
  const splitter = new NdjsonSplitter();
  events.on('data', (chunk: Buffer) => {
    try {
      splitter.push(chunk, (value) => {
        const actor = (value as { Actor?: { ID?: string; Attributes?: { name?: string } } }).Actor;
        if (actor?.ID) onStart(actor.ID, actor.Attributes?.name ?? actor.ID.slice(0, 12));
      });
    } catch {
      // A malformed event: the containers already followed go on.
    }
  });
  events.on('error', () => undefined);
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/**
 * `since` (seconds) just after an engine timestamp: one microsecond later, the finest step a
 * float of seconds keeps.
 */
export function secondsAfter(time: string): number | undefined {
  const key = timeKey(time); // UTC, nine fractional digits
  const seconds = Date.parse(`${key.slice(0, 19)}Z`) / 1000;
  const micros = Number(key.slice(20, 26) || '0');
  return Number.isFinite(seconds) && Number.isFinite(micros)
    ? seconds + (micros + 1) / 1e6
    : undefined;
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
