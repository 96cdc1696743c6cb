// The worker threads behind OffThreadDigestingStream. Each stream owns a ring of slots in shared
// memory; the worker hashes every slot it is told about. A gzip stream (a pulled layer) also gets
// an output ring: the worker inflates each compressed slot straight into it, hashes the plain
// bytes (the diffID) and hands the filled output slots back, so the main thread only parses the
// tar and writes files. Both rings are reused, so a pull allocates no memory per chunk: fresh
// memory costs a page fault per 4 KiB, and freed chunks fragment the allocator's heap, which then
// stays resident after the pull.
import { Worker } from 'node:worker_threads';
import { SystemError } from '../errors';
import { fullCollection } from '../idle-collector';

// Inflating uses the zlib handle under Node's Gunzip stream (`_handle.writeSync` with
// `_writeState`), because the stream itself allocates a fresh output buffer per chunk. The handle
// also handles concatenated gzip members the way the stream does.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createGunzip, constants } = require('node:zlib');
const streams = new Map();
const empty = Buffer.alloc(0);

function pump(id, stream) {
  const z = stream.inflater;
  while (!z.failed && !z.finished && z.busy < z.slots) {
    const input = z.queue[0];
    if (!input && !z.finishing) return;
    const flush = input ? constants.Z_NO_FLUSH : constants.Z_FINISH;
    const inOffset = input ? input.offset + input.done : 0;
    const inLength = input ? input.length - input.done : 0;
    const start = (z.next % z.slots) * z.slotBytes + z.fill;
    const room = z.slotBytes - z.fill;
    z.handle.writeSync(flush, input ? stream.view : empty, inOffset, inLength, z.out, start, room);
    if (z.error !== undefined) {
      z.failed = true;
      z.handle.close();
      parentPort.postMessage({ type: 'inflate-error', id, message: z.error });
      return;
    }
    const produced = room - z.state[0];
    if (produced > 0) {
      z.hash.update(z.out.subarray(start, start + produced));
      z.bytes += produced;
      z.fill += produced;
    }
    if (z.state[0] === 0) {
      sendOutput(id, z);
      if (input) input.done += inLength - z.state[1];
      continue;
    }
    // Room left: zlib took all the input it wanted (all of it, or the stream ended).
    if (input) {
      z.queue.shift();
      parentPort.postMessage({ type: 'free', id });
      continue;
    }
    if (z.fill > 0) sendOutput(id, z);
    z.finished = true;
    z.handle.close();
    parentPort.postMessage({ type: 'inflated', id, digest: z.hash.digest('hex'), bytes: z.bytes });
  }
}

function sendOutput(id, z) {
  const offset = (z.next % z.slots) * z.slotBytes;
  parentPort.postMessage({ type: 'out', id, offset, length: z.fill });
  z.next++;
  z.fill = 0;
  z.busy++;
}

function drop(stream) {
  const z = stream && stream.inflater;
  if (z && !z.finished && !z.failed) {
    z.failed = true;
    z.handle.close();
  }
}

parentPort.on('message', (message) => {
  const stream = streams.get(message.id);
  if (message.type === 'ring') {
    streams.set(message.id, {
      ring: message.ring,
      view: Buffer.from(message.ring),
      hash: createHash('sha256'),
      inflater: undefined,
    });
  } else if (message.type === 'inflate') {
    if (!stream) return;
    const gunzip = createGunzip();
    const z = {
      handle: gunzip._handle,
      state: gunzip._writeState,
      out: Buffer.from(message.out),
      slots: message.slots,
      slotBytes: message.slotBytes,
      hash: createHash('sha256'),
      bytes: 0,
      next: 0,
      fill: 0,
      busy: 0,
      queue: [],
      finishing: false,
      finished: false,
      failed: false,
      error: undefined,
    };
    z.handle.onerror = (text) => {
      z.error = text;
    };
    stream.inflater = z;
  } else if (message.type === 'update') {
    if (!stream) return;
    stream.hash.update(new Uint8Array(stream.ring, message.offset, message.length));
    if (!stream.inflater) {
      parentPort.postMessage({ type: 'free', id: message.id });
      return;
    }
    stream.inflater.queue.push({ offset: message.offset, length: message.length, done: 0 });
    pump(message.id, stream);
  } else if (message.type === 'out-free') {
    if (!stream || !stream.inflater) return;
    stream.inflater.busy--;
    pump(message.id, stream);
  } else if (message.type === 'finish') {
    if (!stream || !stream.inflater) return;
    stream.inflater.finishing = true;
    pump(message.id, stream);
  } else if (message.type === 'digest') {
    streams.delete(message.id);
    drop(stream);
    const digest = (stream ? stream.hash : createHash('sha256')).digest('hex');
    parentPort.postMessage({ type: 'digest', id: message.id, digest });
  } else if (message.type === 'drop') {
    streams.delete(message.id);
    drop(stream);
  }
});
`;

/** What a worker reports about one stream. */
export type StreamMessage =
  | { type: 'free'; id: number }
  | { type: 'digest'; id: number; digest: string }
  | { type: 'out'; id: number; offset: number; length: number }
  | { type: 'inflated'; id: number; digest: string; bytes: number }
  | { type: 'inflate-error'; id: number; message: string }
  /** Not from the worker: it died, see PoolWorker.failure. */
  | { type: 'worker-failed'; id: number };

export interface PoolWorker {
  worker: Worker;
  /** Each stream's handler for the worker's messages about it. */
  listeners: Map<number, (message: StreamMessage) => void>;
  /** Rings of finished streams, reused by the next ones while this worker lives. */
  spareRings: SharedArrayBuffer[];
  /** Output rings of finished inflating streams, reused likewise. */
  spareOutRings: SharedArrayBuffer[];
  /** Streams that may still send to this worker. */
  active: number;
  /** Set when the worker died: its streams fail instead of waiting for it. */
  failure: Error | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** An idle worker holds a V8 isolate (tens of MiB): it is stopped after this long unused. */
const IDLE_WORKER_MS = 3000;
const poolSize = 2;
export const maxSpareRings = 2;
const pool: Array<PoolWorker | undefined> = [];

/** The worker for stream `id` (streams are spread over the pool by id). */
export function workerFor(id: number): PoolWorker {
  const index = id % poolSize;
  const entry = pool[index];
  if (entry) {
    clearTimeout(entry.idleTimer);
    entry.active++;
    return entry;
  }
  const worker = new Worker(workerSource, { eval: true });
  // Idle hash workers must not keep the daemon (or a test) alive.
  worker.unref();
  const created: PoolWorker = {
    worker,
    listeners: new Map(),
    spareRings: [],
    spareOutRings: [],
    active: 1,
    idleTimer: undefined,
    failure: undefined,
  };
  worker.on('message', (message: StreamMessage) => created.listeners.get(message.id)?.(message));
  worker.on('error', (error) => {
    // A dead worker is replaced on next use; its streams fail instead of hanging.
    pool[index] = undefined;
    created.failure = new SystemError(`hash worker failed: ${error.message}`);
    const listeners = [...created.listeners];
    created.listeners.clear();
    for (const [id, listener] of listeners) listener({ type: 'worker-failed', id });
  });
  pool[index] = created;
  return created;
}

/** A stream is done with its worker; the last one out starts the idle timer. */
export function releaseWorker(id: number, entry: PoolWorker): void {
  const index = id % poolSize;
  entry.active--;
  if (entry.active > 0) return;
  entry.idleTimer = setTimeout(() => {
    if (entry.active > 0 || pool[index] !== entry) return;
    pool[index] = undefined;
    entry.spareRings.length = 0;
    entry.spareOutRings.length = 0;
    // The rings (up to 16 MiB per worker) are only freed when a collection finds them, and a
    // quiet daemon that reused them has not grown enough for the idle collector to run one.
    void entry.worker.terminate().then(() => fullCollection()());
  }, IDLE_WORKER_MS);
  entry.idleTimer.unref();
}
