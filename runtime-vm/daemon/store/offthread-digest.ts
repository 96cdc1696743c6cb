// SHA-256 of large streams on worker threads: layer blobs and their uncompressed tars are hashed
// while they stream, and doing that on the main thread would cap pull throughput. Each stream
// copies its bytes into a small ring of 1 MiB slots in shared memory and tells a pool worker which
// slot to hash. The ring is reused (from stream to stream too): handing over fresh buffers instead
// made V8 account hundreds of MB of new external memory per pull and run a major GC every few
// tens of milliseconds, and the new pages cost a fault each.
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { SystemError } from '../errors';

const workerSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'ring') {
    streams.set(message.id, { ring: message.ring, hash: createHash('sha256') });
  } else if (message.type === 'update') {
    const stream = streams.get(message.id);
    if (!stream) return;
    stream.hash.update(new Uint8Array(stream.ring, message.offset, message.length));
    parentPort.postMessage({ type: 'free', id: message.id });
  } else if (message.type === 'digest') {
    const stream = streams.get(message.id);
    streams.delete(message.id);
    const digest = (stream ? stream.hash : createHash('sha256')).digest('hex');
    parentPort.postMessage({ type: 'digest', id: message.id, digest });
  } else if (message.type === 'drop') {
    streams.delete(message.id);
  }
});
`;

type WorkerMessage = { type: 'free'; id: number } | { type: 'digest'; id: number; digest: string };

interface Pending {
  resolve: (digest: string) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, Pending>;
  /** Called when the worker has hashed one slot of that stream's ring. */
  onFree: Map<number, () => void>;
  /** Rings of finished streams, reused by the next ones while this worker lives. */
  spareRings: SharedArrayBuffer[];
  /** Streams that may still send to this worker. */
  active: number;
  /** Set when the worker died: its streams fail instead of waiting for it. */
  failure: Error | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** An idle worker holds a V8 isolate (tens of MiB): it is stopped after this long unused. */
const IDLE_WORKER_MS = 5000;

const poolSize = 2;
const slotBytes = 1024 * 1024;
/** Slots per stream: how far the stream may run ahead of its hashing. */
const ringSlots = 4;
const maxSpareRings = 4;
const pool: Array<PoolWorker | undefined> = [];
let nextId = 1;

function release(index: number, entry: PoolWorker): void {
  entry.active--;
  if (entry.active > 0) return;
  entry.idleTimer = setTimeout(() => {
    if (entry.active > 0 || pool[index] !== entry) return;
    pool[index] = undefined;
    entry.spareRings.length = 0;
    void entry.worker.terminate();
  }, IDLE_WORKER_MS);
  entry.idleTimer.unref();
}

function workerFor(id: number): PoolWorker {
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
    waiting: new Map(),
    onFree: new Map(),
    spareRings: [],
    active: 1,
    idleTimer: undefined,
    failure: undefined,
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'free') {
      created.onFree.get(message.id)?.();
      return;
    }
    created.waiting.get(message.id)?.resolve(`sha256:${message.digest}`);
    created.waiting.delete(message.id);
  });
  worker.on('error', (error) => {
    // A dead worker is replaced on next use; its pending digests fail instead of hanging.
    pool[index] = undefined;
    const failure = new SystemError(`hash worker failed: ${error.message}`);
    created.failure = failure;
    for (const pending of created.waiting.values()) pending.reject(failure);
    created.waiting.clear();
    for (const resume of created.onFree.values()) resume();
    created.onFree.clear();
  });
  pool[index] = created;
  return created;
}

export interface OffThreadDigestOptions {
  /**
   * Pass the ring's 1 MiB slots on instead of the incoming chunks: small socket chunks leave as
   * large ones without another copy. The consumer must call `releaseChunk()` once for every
   * chunk, in order, when it no longer reads it; until then its slot is not refilled.
   */
  coalesce?: boolean;
  /** Called with the running byte count after every chunk (progress messages). */
  onBytes?: (total: number) => void;
}

/** A pass-through stream whose bytes are hashed off the main thread. */
export class OffThreadDigestingStream extends Transform {
  bytes = 0;
  private readonly id = nextId++;
  private readonly entry = workerFor(this.id);
  private readonly ring: SharedArrayBuffer;
  private readonly view: Buffer;
  private readonly coalesce: boolean;
  private readonly onBytes: ((total: number) => void) | undefined;
  private released = false;
  /** Slots handed to the worker so far; the slot being filled is `sent % ringSlots`. */
  private sent = 0;
  private hashed = 0;
  /** Slots passed on and given back by the consumer (coalescing mode). */
  private returned = 0;
  private fill = 0;
  private resumeWhenFree: (() => void) | undefined;

  constructor(options: OffThreadDigestOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
    this.coalesce = options.coalesce === true;
    this.onBytes = options.onBytes;
    this.ring = this.entry.spareRings.pop() ?? new SharedArrayBuffer(ringSlots * slotBytes);
    this.view = Buffer.from(this.ring);
    this.entry.worker.postMessage({ type: 'ring', id: this.id, ring: this.ring });
    this.entry.onFree.set(this.id, () => {
      this.hashed = Math.min(this.sent, this.hashed + 1);
      this.wakeFiller();
    });
  }

  /** Coalescing mode: the consumer is done with the oldest chunk it was given. */
  releaseChunk(): void {
    this.returned = Math.min(this.sent, this.returned + 1);
    this.wakeFiller();
  }

  private wakeFiller(): void {
    const resume = this.resumeWhenFree;
    this.resumeWhenFree = undefined;
    resume?.();
  }

  /** Slots neither hashed nor (when coalescing) given back yet: those cannot be refilled. */
  private get busySlots(): number {
    return this.sent - Math.min(this.hashed, this.coalesce ? this.returned : this.sent);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    this.copyFrom(chunk, 0, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.coalesce) this.sendSlot();
    done();
  }

  /** Copies `chunk` into the ring, waiting whenever every slot is still busy. */
  private copyFrom(chunk: Buffer, start: number, done: TransformCallback): void {
    let offset = start;
    while (offset < chunk.length) {
      if (this.entry.failure) {
        done(this.entry.failure);
        return;
      }
      if (this.busySlots === ringSlots) {
        this.resumeWhenFree = () => this.copyFrom(chunk, offset, done);
        return;
      }
      const slotStart = (this.sent % ringSlots) * slotBytes;
      const copied = Math.min(slotBytes - this.fill, chunk.length - offset);
      const target = slotStart + this.fill;
      // fill() with a buffer of the range's length is one native memcpy; copy() into shared
      // memory goes through V8's element-wise relaxed copy, eight times slower.
      this.view.fill(chunk.subarray(offset, offset + copied), target, target + copied);
      this.fill += copied;
      offset += copied;
      if (this.fill === slotBytes) this.sendSlot();
    }
    if (this.coalesce) done();
    else done(null, chunk);
  }

  /** Hands the slot being filled to the worker. */
  private sendSlot(): void {
    if (this.fill === 0) return;
    const offset = (this.sent % ringSlots) * slotBytes;
    this.entry.worker.postMessage({ type: 'update', id: this.id, offset, length: this.fill });
    if (this.coalesce) this.push(this.view.subarray(offset, offset + this.fill));
    this.sent++;
    this.fill = 0;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.entry.onFree.delete(this.id);
    release(this.id % poolSize, this.entry);
  }

  /** Puts the ring back for another stream once the worker can no longer read it. */
  private recycleRing(): void {
    if (this.entry.spareRings.length < maxSpareRings) this.entry.spareRings.push(this.ring);
  }

  /** The digest of everything that passed through; call once, after the stream finished. */
  digest(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.entry.failure) throw this.entry.failure;
      this.entry.waiting.set(this.id, { resolve, reject });
      if (!this.coalesce) this.sendSlot();
      this.entry.worker.postMessage({ type: 'digest', id: this.id });
    }).finally(() => {
      // The worker answers in order: every slot was hashed before the digest came back, and a
      // finished consumer has given every chunk back.
      if (!this.coalesce || this.returned === this.sent) this.recycleRing();
      this.release();
    });
  }

  /** Frees the worker's state when the digest will never be asked for (failed transfers). */
  discard(): void {
    if (this.released) return;
    this.resumeWhenFree = undefined;
    this.entry.worker.postMessage({ type: 'drop', id: this.id });
    this.release();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A finished stream is destroyed too (autoDestroy) and its digest is still wanted.
    if (error) this.discard();
    callback(error);
  }
}
