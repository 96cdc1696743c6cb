// SHA-256 of large streams on worker threads: layer blobs and their uncompressed tars are hashed
// while they stream, and doing that on the main thread would cap pull throughput. Chunks are
// copied to a small pool of workers; the digest is requested at the end, in order.
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { SystemError } from '../errors';

const workerSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'update') {
    let hash = hashes.get(message.id);
    if (!hash) {
      hash = createHash('sha256');
      hashes.set(message.id, hash);
    }
    hash.update(new Uint8Array(message.data));
  } else if (message.type === 'digest') {
    const hash = hashes.get(message.id) || createHash('sha256');
    hashes.delete(message.id);
    parentPort.postMessage({ id: message.id, digest: hash.digest('hex') });
  } else if (message.type === 'drop') {
    hashes.delete(message.id);
  }
});
`;

interface Pending {
  resolve: (digest: string) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, Pending>;
  /** Streams that may still send to this worker. */
  active: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/** An idle worker holds a V8 isolate (tens of MiB): it is stopped after this long unused. */
const IDLE_WORKER_MS = 5000;

const poolSize = 2;
const batchBytes = 1024 * 1024;
const pool: Array<PoolWorker | undefined> = [];
let nextId = 1;

function release(index: number, entry: PoolWorker): void {
  entry.active--;
  if (entry.active > 0) return;
  entry.idleTimer = setTimeout(() => {
    if (entry.active > 0 || pool[index] !== entry) return;
    pool[index] = undefined;
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
  const created: PoolWorker = { worker, waiting: new Map(), active: 1, idleTimer: undefined };
  worker.on('message', (message: { id: number; digest: string }) => {
    created.waiting.get(message.id)?.resolve(`sha256:${message.digest}`);
    created.waiting.delete(message.id);
  });
  worker.on('error', (error) => {
    // A dead worker is replaced on next use; its pending digests fail instead of hanging.
    pool[index] = undefined;
    for (const pending of created.waiting.values()) {
      pending.reject(new SystemError(`hash worker failed: ${error.message}`));
    }
    created.waiting.clear();
  });
  pool[index] = created;
  return created;
}

/** A pass-through stream whose bytes are hashed off the main thread. */
export class OffThreadDigestingStream extends Transform {
  bytes = 0;
  private readonly id = nextId++;
  private readonly entry = workerFor(this.id);
  private released = false;
  /** Socket chunks are small; one message per chunk cost more than the hashing itself. */
  private batch: Buffer | undefined;
  private batchFill = 0;

  private release(): void {
    if (this.released) return;
    this.released = true;
    release(this.id % poolSize, this.entry);
  }

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      this.batch ??= Buffer.allocUnsafeSlow(batchBytes);
      const copied = chunk.copy(this.batch, this.batchFill, offset);
      this.batchFill += copied;
      offset += copied;
      if (this.batchFill === batchBytes) this.sendBatch();
    }
    done(null, chunk);
  }

  /** Hands the filled part of the batch to the worker; the buffer is transferred, not copied. */
  private sendBatch(): void {
    if (!this.batch || this.batchFill === 0) return;
    // allocUnsafeSlow gives the batch its own ArrayBuffer, so a full one goes as it is.
    const whole = this.batch.buffer as ArrayBuffer;
    const data = this.batchFill === whole.byteLength ? whole : whole.slice(0, this.batchFill);
    this.entry.worker.postMessage({ type: 'update', id: this.id, data }, [data]);
    this.batch = undefined;
    this.batchFill = 0;
  }

  /** The digest of everything that passed through; call once, after the stream finished. */
  digest(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.entry.waiting.set(this.id, { resolve, reject });
      this.sendBatch();
      this.entry.worker.postMessage({ type: 'digest', id: this.id });
    }).finally(() => this.release());
  }

  /** Frees the worker's state when the digest will never be asked for (failed transfers). */
  discard(): void {
    this.batch = undefined;
    this.batchFill = 0;
    this.entry.worker.postMessage({ type: 'drop', id: this.id });
    this.release();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A finished stream is destroyed too (autoDestroy) and its digest is still wanted.
    if (error) this.discard();
    callback(error);
  }
}
