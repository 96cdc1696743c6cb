// SHA-256 of large streams on worker threads: layer blobs and their uncompressed tars are hashed
// while they stream, and doing that on the main thread would cap pull throughput. Each stream
// copies its bytes into a small ring of 1 MiB slots in shared memory and tells a pool worker which
// slot to hash. The ring is reused (from stream to stream too): handing over fresh buffers instead
// made V8 account hundreds of MB of new external memory per pull and run a major GC every few
// tens of milliseconds, and the new pages cost a fault each. A gzip layer can also be inflated by
// the worker (`inflateInto`), into a second reused ring (see digest-worker-pool.ts).
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { InvalidArgumentError, SystemError } from '../errors';
import {
  maxSpareRings,
  releaseWorker,
  workerFor,
  type PoolWorker,
  type StreamMessage,
} from './digest-worker-pool';

const slotBytes = 1024 * 1024;
/** Slots per stream: how far the stream may run ahead of its hashing. */
const ringSlots = 4;
/** Output slots of an inflating stream: how far inflating may run ahead of the tar writer. */
const outSlots = 4;
let nextId = 1;

export interface OffThreadDigestOptions {
  /**
   * Pass the ring's 1 MiB slots on instead of the incoming chunks: small socket chunks leave as
   * large ones without another copy. The consumer must call `releaseChunk()` once for every
   * chunk, in order, when it no longer reads it; until then its slot is not refilled.
   */
  coalesce?: boolean;
  /** Called with the running byte count after every chunk (progress messages). */
  onBytes?: (total: number) => void;
  /**
   * The bytes are gzip: the worker also inflates them and this stream writes the plain bytes to
   * `inflateInto`, then ends it. Each chunk written is a slot of a reused ring, refilled once
   * that write's callback ran: the writable must not keep a reference to a chunk beyond it.
   * Needs `coalesce`. `inflated()` gives the plain bytes' digest.
   */
  inflateInto?: Writable;
}

/** Digest and length of the plain bytes of an inflated stream. */
export interface InflatedContent {
  digest: string;
  bytes: number;
}

interface Inflation {
  target: Writable;
  ring: SharedArrayBuffer;
  view: Buffer;
  /** Output chunks written to the target whose callback has not run yet. */
  writing: number;
  done: boolean;
  result: Promise<InflatedContent>;
  resolve: (content: InflatedContent) => void;
  reject: (error: Error) => void;
}

/** A pass-through stream whose bytes are hashed off the main thread. */
export class OffThreadDigestingStream extends Transform {
  bytes = 0;
  /** Inflating mode: set when the target failed (a bad tar), which then stopped this stream. */
  targetFailure: Error | undefined;
  private readonly id = nextId++;
  private readonly entry: PoolWorker = workerFor(this.id);
  private readonly ring: SharedArrayBuffer;
  private readonly view: Buffer;
  private readonly coalesce: boolean;
  private readonly onBytes: ((total: number) => void) | undefined;
  private readonly inflation: Inflation | undefined;
  private released = false;
  /** Slots handed to the worker so far; the slot being filled is `sent % ringSlots`. */
  private sent = 0;
  private hashed = 0;
  /** Slots passed on and given back by the consumer (coalescing mode). */
  private returned = 0;
  private fill = 0;
  private resumeWhenFree: (() => void) | undefined;
  private digestWaiter:
    { resolve: (digest: string) => void; reject: (error: Error) => void } | undefined;

  constructor(options: OffThreadDigestOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
    this.coalesce = options.coalesce === true;
    this.onBytes = options.onBytes;
    this.ring = this.entry.spareRings.pop() ?? new SharedArrayBuffer(ringSlots * slotBytes);
    this.view = Buffer.from(this.ring);
    this.entry.worker.postMessage({ type: 'ring', id: this.id, ring: this.ring });
    this.entry.listeners.set(this.id, (message) => this.onWorkerMessage(message));
    if (options.inflateInto) {
      if (!this.coalesce) throw new SystemError('inflating a digested stream needs coalescing');
      this.inflation = this.startInflation(options.inflateInto);
    }
  }

  private startInflation(target: Writable): Inflation {
    const ring = this.entry.spareOutRings.pop() ?? new SharedArrayBuffer(outSlots * slotBytes);
    let resolve!: (content: InflatedContent) => void;
    let reject!: (error: Error) => void;
    const result = new Promise<InflatedContent>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Failures also reach the caller through the stream and the target; this one may go unread.
    result.catch(() => undefined);
    this.entry.worker.postMessage({
      type: 'inflate',
      id: this.id,
      out: ring,
      slots: outSlots,
      slotBytes,
    });
    return {
      target,
      ring,
      view: Buffer.from(ring),
      writing: 0,
      done: false,
      result,
      resolve,
      reject,
    };
  }

  /** Inflating mode: the plain bytes' digest, once the worker inflated everything. */
  inflated(): Promise<InflatedContent> {
    if (!this.inflation) return Promise.reject(new SystemError('this stream does not inflate'));
    return this.inflation.result;
  }

  private onWorkerMessage(message: StreamMessage): void {
    switch (message.type) {
      case 'free':
        this.hashed = Math.min(this.sent, this.hashed + 1);
        this.wakeFiller();
        break;
      case 'digest':
        this.digestWaiter?.resolve(`sha256:${message.digest}`);
        this.digestWaiter = undefined;
        break;
      case 'out':
        this.deliver(message.offset, message.length);
        break;
      case 'inflated':
        if (!this.inflation || this.inflation.done) break;
        this.inflation.done = true;
        this.inflation.target.end();
        this.inflation.resolve({ digest: `sha256:${message.digest}`, bytes: message.bytes });
        break;
      case 'inflate-error': {
        // Also after the download finished: a truncated stream only fails at its end.
        const error = new InvalidArgumentError(`corrupt gzip layer: ${message.message}`);
        this.failInflation(error);
        this.destroy(error);
        break;
      }
      case 'worker-failed': {
        const failure = this.entry.failure ?? new SystemError('hash worker failed');
        this.digestWaiter?.reject(failure);
        this.digestWaiter = undefined;
        this.failInflation(failure);
        this.wakeFiller();
        break;
      }
    }
  }

  /** Writes one inflated output slot to the target; the worker refills it after the write. */
  private deliver(offset: number, length: number): void {
    const inflation = this.inflation;
    if (!inflation || inflation.done) return;
    inflation.writing++;
    inflation.target.write(inflation.view.subarray(offset, offset + length), (error) => {
      inflation.writing--;
      if (error) {
        this.targetFailure ??= error;
        this.failInflation(error);
        this.destroy(error);
      } else if (!this.released) {
        this.entry.worker.postMessage({ type: 'out-free', id: this.id });
      }
    });
  }

  /** Ends an inflation that cannot complete: its target and `inflated()` fail with `error`. */
  private failInflation(error: Error): void {
    const inflation = this.inflation;
    if (!inflation || inflation.done) return;
    inflation.done = true;
    inflation.reject(error);
    inflation.target.destroy(error);
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
    if (this.inflation) this.entry.worker.postMessage({ type: 'finish', id: this.id });
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
    this.entry.listeners.delete(this.id);
    releaseWorker(this.id, this.entry);
  }

  /** Puts the rings back for another stream once neither the worker nor a writer reads them. */
  private recycleRings(): void {
    const { spareRings, spareOutRings } = this.entry;
    if ((!this.coalesce || this.returned === this.sent) && spareRings.length < maxSpareRings)
      spareRings.push(this.ring);
    const inflation = this.inflation;
    if (inflation?.done && inflation.writing === 0 && spareOutRings.length < maxSpareRings)
      spareOutRings.push(inflation.ring);
  }

  /** The digest of everything that passed through; call once, after the stream finished. */
  async digest(): Promise<string> {
    // The worker forgets the stream once it answered: an inflation must be over first.
    if (this.inflation) await this.inflation.result;
    return new Promise<string>((resolve, reject) => {
      if (this.entry.failure) throw this.entry.failure;
      this.digestWaiter = { resolve, reject };
      if (!this.coalesce) this.sendSlot();
      this.entry.worker.postMessage({ type: 'digest', id: this.id });
    }).finally(() => {
      // The worker answers in order: every slot was hashed before the digest came back, and a
      // finished consumer has given every chunk back.
      this.recycleRings();
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
    if (error) {
      this.failInflation(error);
      this.discard();
    }
    callback(error);
  }
}
