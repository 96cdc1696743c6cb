// Content-addressed blobs (manifests, configs, compressed layers) under <root>/sha256/<hex>.
// A blob only appears under its digest after its bytes were verified and fsynced.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { fsyncDirectory, writeFileAtomic } from './atomic';

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function assertDigest(digest: string): void {
  if (!digestPattern.test(digest)) {
    throw new InvalidArgumentError(`invalid digest '${digest}': expected sha256:<64 hex>`);
  }
}

export function sha256Digest(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return 'sha256:' + this.hash.digest('hex');
  }
}

/** A blob being written; `commit(digest)` publishes it under its (verified) digest, `abort()` discards it. */
export interface BlobWriter {
  readonly path: string;
  /**
   * `durable: false` skips the fsync of the content: layer blobs are large, a daemon crash keeps
   * them in the page cache anyway, and their layer directories are not fsynced either.
   */
  commit(expectedDigest: string, options?: { durable?: boolean }): Promise<void>;
  abort(): Promise<void>;
}

export class BlobStore {
  constructor(private readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'ingest'), { recursive: true });
    // Partial downloads from a crashed daemon are garbage: nothing references them.
    for (const name of await readdir(join(this.root, 'ingest'))) {
      await rm(join(this.root, 'ingest', name), { force: true, recursive: true });
    }
  }

  pathFor(digest: string): string {
    assertDigest(digest);
    return join(this.root, 'sha256', digest.slice('sha256:'.length));
  }

  async has(digest: string): Promise<boolean> {
    return (await stat(this.pathFor(digest)).catch(() => undefined)) !== undefined;
  }

  async size(digest: string): Promise<number> {
    const info = await stat(this.pathFor(digest)).catch(() => undefined);
    if (!info) throw new NotFoundError(`blob ${digest} not found`);
    return info.size;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.pathFor(digest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`blob ${digest} not found`);
      }
      throw error;
    }
  }

  createReadStream(digest: string): ReadStream {
    return createReadStream(this.pathFor(digest), { highWaterMark: 1024 * 1024 });
  }

  /** Stores small verified content (manifests, configs); returns its digest. */
  async put(data: Uint8Array | string): Promise<string> {
    const digest = sha256Digest(data);
    if (!(await this.has(digest))) await writeFileAtomic(this.pathFor(digest), data);
    return digest;
  }

  /** A temp file to stream into; the caller hashes while writing and then commits. */
  async createWriter(): Promise<BlobWriter & { stream: NodeJS.WritableStream }> {
    const path = join(this.root, 'ingest', randomBytes(12).toString('hex'));
    const stream = createWriteStream(path, { highWaterMark: 1024 * 1024 });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    await opened;
    return {
      path,
      stream,
      commit: async (expectedDigest: string, options: { durable?: boolean } = {}) => {
        const target = this.pathFor(expectedDigest);
        if (options.durable !== false) {
          const handle = await open(path, 'r');
          try {
            await handle.sync();
          } finally {
            await handle.close();
          }
        }
        await rename(path, target);
        await fsyncDirectory(join(this.root, 'sha256'));
      },
      abort: async () => {
        stream.destroy();
        await rm(path, { force: true });
      },
    };
  }

  async remove(digest: string): Promise<void> {
    await rm(this.pathFor(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await readdir(join(this.root, 'sha256'));
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
