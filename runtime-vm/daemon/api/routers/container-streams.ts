// The container streams: logs, attach (hijacked, plain and websocket), resize and stats. Each
// answers 404/400 before its first byte, then flushes headers at once and streams.
import { InvalidArgumentError } from '../../errors';
import type { ConmonAttachConnection } from '../../drivers/attach/conmon-attach';
import {
  formatDockerTimestamp,
  parseLogTimeBound,
  type LogRecord,
} from '../../services/logs/k8s-log';
import { readLogLines, readLogs } from '../../services/logs/log-reader';
import type { StatsDocument } from '../../services/stats/stats-document';
import { streamLogLines } from '../log-lines-stream';
import { compareVersions } from '../version';
import {
  hijack,
  hijackWebSocket,
  multiplexedStreamType,
  rawStreamType,
  type HijackedConnection,
} from '../hijack';
import { boolValue, intValue } from '../query';
import { startStream, writeEmpty, writeJson, writeJsonLine } from '../respond';
import type { RequestContext, Route } from '../route';
import { bridgeStdio, parseDetachKeys } from '../stdio-bridge';
import { StreamType, encodeLogMessages, type LogMessage } from '../stream-framing';

/** What a stream needs to know about a container (the containers service provides it). */
export interface StreamTarget {
  id: string;
  name: string;
  tty: boolean;
  running: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  /** The container's k8s-file logs, oldest first (rotated files, then the live one). */
  logPaths: string[];
  cgroupPath: string;
  pid: number;
}

export interface ContainerStreamsBackend {
  streamTarget(idOrName: string): Promise<StreamTarget>;
  /** Settles when the container is no longer running (at once if it is not). */
  whenStopped(id: string, signal: AbortSignal): Promise<void>;
  /**
   * Connects to the container's stdio. Before the container started, this waits until its
   * process exists but has not run yet, so no early output is missed.
   */
  attach(id: string, signal: AbortSignal): Promise<ConmonAttachConnection>;
  resize(idOrName: string, height: number, width: number): Promise<void>;
  stats(
    target: StreamTarget,
    options: { stream: boolean; oneShot: boolean; signal: AbortSignal },
  ): AsyncIterable<StatsDocument>;
  /** Docker's default detach keys, overridable in daemon settings. */
  detachKeys?: string;
}

/** API ≥ 1.42 labels non-TTY stdio streams as multiplexed; older clients get raw-stream. */
function stdioContentType(ctx: RequestContext, tty: boolean): string {
  return !tty && compareVersions(ctx.apiVersion, '1.42') >= 0
    ? multiplexedStreamType
    : rawStreamType;
}

function toMessages(records: LogRecord[], timestamps: boolean): LogMessage[] {
  return records.map((record) => ({
    stream: record.stream === 'stderr' ? StreamType.Stderr : StreamType.Stdout,
    text: record.text,
    newline: record.newline,
    ...(timestamps ? { prefix: `${formatDockerTimestamp(record.timeNs)} ` } : {}),
  }));
}

/** Writes a batch, waiting for the socket to drain so a slow reader slows the file reads. */
function writeBatch(ctx: RequestContext, data: Buffer): Promise<void> {
  // A client that left will never drain: stop waiting, the reader sees the abort.
  if (ctx.res.destroyed || ctx.res.writableEnded) return Promise.resolve();
  if (ctx.res.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      ctx.res.off('drain', done);
      ctx.res.off('close', done);
      resolve();
    };
    ctx.res.once('drain', done);
    ctx.res.once('close', done);
  });
}

async function logs(backend: ContainerStreamsBackend, ctx: RequestContext): Promise<void> {
  const { query } = ctx;
  const stdout = boolValue(query, 'stdout');
  const stderr = boolValue(query, 'stderr');
  if (!stdout && !stderr)
    throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tailRaw = query.get('tail');
  const tail =
    tailRaw === null || tailRaw === '' || tailRaw === 'all'
      ? undefined
      : intValue(query, 'tail', -1);
  let sinceNs: bigint | undefined;
  let untilNs: bigint | undefined;
  try {
    sinceNs = parseLogTimeBound(query.get('since'), 'since');
    untilNs = parseLogTimeBound(query.get('until'), 'until');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  const target = await backend.streamTarget(ctx.params['id']!);
  const follow = boolValue(query, 'follow') && target.running;
  const timestamps = boolValue(query, 'timestamps');

  startStream(ctx.res, stdioContentType(ctx, target.tty));
  const stopped = follow ? backend.whenStopped(target.id, ctx.signal) : undefined;
  const reading = {
    tail: tail !== undefined && tail >= 0 ? tail : undefined,
    follow,
    signal: ctx.signal,
    stopped,
  };
  if (!timestamps && sinceNs === undefined && untilNs === undefined) {
    const chunks = readLogLines(target.logPaths, reading);
    const options = { stdout, stderr, multiplexed: !target.tty, signal: ctx.signal };
    await streamLogLines(ctx.res, chunks, options);
    if (!ctx.res.destroyed) ctx.res.end();
    return;
  }
  let draining = Promise.resolve();
  for await (const batch of readLogs(target.logPaths, {
    ...reading,
    stdout,
    stderr,
    sinceNs,
    untilNs,
    timestamps,
  })) {
    if (ctx.signal.aborted || ctx.res.destroyed) break;
    // The next batch is read and encoded while the client drains the previous one: waiting for
    // the drain first left berthd and the client taking turns, each idle half of the time.
    const data = encodeLogMessages(toMessages(batch, timestamps), !target.tty);
    await draining;
    draining = writeBatch(ctx, data);
  }
  await draining;
  if (!ctx.res.destroyed) ctx.res.end();
}

/** How the attach endpoints reach their client: a hijacked HTTP connection or a websocket. */
type AttachTransport = 'hijack' | 'websocket';

async function attach(
  backend: ContainerStreamsBackend,
  ctx: RequestContext,
  transport: AttachTransport,
): Promise<void> {
  const { query } = ctx;
  const target = await backend.streamTarget(ctx.params['id']!);
  const detachKeys = parseDetachKeysOrThrow(query.get('detachKeys') ?? backend.detachKeys);
  const streams = {
    stdin: boolValue(query, 'stdin'),
    stdout: boolValue(query, 'stdout'),
    stderr: boolValue(query, 'stderr'),
  };
  let client: HijackedConnection;
  // Websocket messages keep output apart already: dockerd never frames them.
  let multiplexed: boolean;
  if (transport === 'websocket') {
    client = await hijackWebSocket(ctx, compareVersions(ctx.apiVersion, '1.28') >= 0);
    multiplexed = false;
  } else {
    client = await hijack(ctx, stdioContentType(ctx, target.tty));
    multiplexed = !target.tty;
  }

  // logs=1 replays what the container already printed before joining it live.
  if (boolValue(query, 'logs')) {
    for await (const batch of readLogs(target.logPaths, {
      stdout: streams.stdout,
      stderr: streams.stderr,
      follow: false,
      timestamps: false,
      signal: ctx.signal,
    })) {
      client.output.write(encodeLogMessages(toMessages(batch, false), multiplexed));
    }
  }
  if (!boolValue(query, 'stream')) {
    client.close();
    return;
  }
  let connection: ConmonAttachConnection;
  try {
    connection = await backend.attach(target.id, ctx.signal);
  } catch (error) {
    // The 101 is already sent: the only way left to report is in the stream itself.
    const message = Buffer.from(`${(error as Error).message}\n`);
    client.output.write(
      multiplexed
        ? encodeLogMessages([{ stream: StreamType.Stderr, text: message, newline: false }], true)
        : message,
    );
    client.close();
    return;
  }
  await bridgeStdio({
    client,
    process: connection,
    tty: target.tty,
    multiplex: multiplexed,
    streams,
    closeStdinOnEof: target.stdinOnce,
    keepTtyStdinOpen: true,
    detachKeys,
    finished: backend.whenStopped(target.id, ctx.signal).catch(() => undefined),
  });
}

function parseDetachKeysOrThrow(spec: string | null | undefined): Buffer {
  try {
    return parseDetachKeys(spec);
  } catch (error) {
    throw new InvalidArgumentError(
      `Invalid detach keys (${spec}) provided: ${(error as Error).message}`,
    );
  }
}

async function stats(backend: ContainerStreamsBackend, ctx: RequestContext): Promise<void> {
  const stream = boolValue(ctx.query, 'stream', true);
  const oneShot = boolValue(ctx.query, 'one-shot');
  if (oneShot && stream)
    throw new InvalidArgumentError('cannot have stream=true and one-shot=true');
  const target = await backend.streamTarget(ctx.params['id']!);
  if (!stream) {
    for await (const document of backend.stats(target, {
      stream: false,
      oneShot,
      signal: ctx.signal,
    })) {
      writeJson(ctx.res, 200, document);
      return;
    }
    writeJson(ctx.res, 200, {});
    return;
  }
  startStream(ctx.res, 'application/json');
  for await (const document of backend.stats(target, {
    stream: true,
    oneShot: false,
    signal: ctx.signal,
  })) {
    writeJsonLine(ctx.res, document);
  }
  ctx.res.end();
}

async function resize(backend: ContainerStreamsBackend, ctx: RequestContext): Promise<void> {
  const height = intValue(ctx.query, 'h', 0);
  const width = intValue(ctx.query, 'w', 0);
  await backend.resize(ctx.params['id']!, height, width);
  writeEmpty(ctx.res, 200);
}

export function containerStreamsRoutes(backend: ContainerStreamsBackend): Route[] {
  return [
    { method: 'GET', path: '/containers/{id}/logs', handler: (ctx) => logs(backend, ctx) },
    {
      method: 'POST',
      path: '/containers/{id}/attach',
      handler: (ctx) => attach(backend, ctx, 'hijack'),
    },
    {
      method: 'GET',
      path: '/containers/{id}/attach/ws',
      handler: (ctx) => attach(backend, ctx, 'websocket'),
    },
    { method: 'GET', path: '/containers/{id}/stats', handler: (ctx) => stats(backend, ctx) },
    { method: 'POST', path: '/containers/{id}/resize', handler: (ctx) => resize(backend, ctx) },
  ];
}
