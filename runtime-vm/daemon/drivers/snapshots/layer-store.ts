// Unpacked layers, one directory per diffID under <root>/sha256/<hex>/diff, stacked later as
// overlayfs lowerdirs. A layer appears under its diffID only after it was fully extracted and its
// digest verified, via one directory rename.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { errorMessage, InvalidArgumentError, SystemError } from '../../errors';
import { OffThreadDigestingStream, type InflatedContent } from '../../store/offthread-digest';
import { fsyncDirectory, writeJsonAtomic } from '../../store/atomic';
import { DirectExtractSink } from './direct-sink';
import { LayerTarRewriter } from './layer-rewrite';

export interface LayerInfo {
  diffId: string;
  /** Bytes of file content in the layer (Docker's layer size). */
  size: number;
  /** Length of the uncompressed tar stream. */
  tarSize: number;
}

export interface PendingLayer {
  info: LayerInfo;
  /** Publishes the layer under its diffID (no-op if another pull did it first). */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

function hexOf(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new InvalidArgumentError(`invalid layer digest '${digest}'`);
  return digest.slice('sha256:'.length);
}

export class LayerStore {
  constructor(private readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.root, 'tmp'), { recursive: true });
  }

  dirFor(diffId: string): string {
    return join(this.root, 'sha256', hexOf(diffId));
  }

  /** The directory to use as an overlay lowerdir. */
  diffPath(diffId: string): string {
    return join(this.dirFor(diffId), 'diff');
  }

  async has(diffId: string): Promise<boolean> {
    return (
      (await stat(join(this.dirFor(diffId), 'layer.json')).catch(() => undefined)) !== undefined
    );
  }

  async info(diffId: string): Promise<LayerInfo> {
    return JSON.parse(await readFile(join(this.dirFor(diffId), 'layer.json'), 'utf8')) as LayerInfo;
  }

  async list(): Promise<string[]> {
    const names = await readdir(join(this.root, 'sha256'));
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async remove(diffId: string): Promise<void> {
    // Move aside first so a crash mid-delete never leaves a half-deleted layer under its name.
    const doomed = join(this.root, 'tmp', `rm-${randomBytes(6).toString('hex')}`);
    try {
      await rename(this.dirFor(diffId), doomed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /**
   * Extracts an uncompressed layer tar from `source` into a private directory. The tar is
   * validated and rewritten in JS, then GNU tar does the filesystem work (mknod, xattrs, owners).
   * `expectedDiffId`, when known, is checked before the layer can be committed.
   */
  unpack(
    source: Readable,
    expectedDiffId: string | undefined,
    signal?: AbortSignal,
  ): Promise<PendingLayer> {
    const digester = new OffThreadDigestingStream();
    return this.extract(
      expectedDiffId,
      signal,
      async (tar) => {
        await pipeline(source, digester, tar, signal ? { signal } : {});
        return { digest: await digester.digest(), bytes: digester.bytes };
      },
      () => digester.discard(),
    );
  }

  /**
   * Like unpack, for a tar that `feed` writes into the given writable and ends, hashing it on
   * the way (an inflating OffThreadDigestingStream does): it resolves with the tar's digest.
   * Chunks may be reused by the feeder once their write's callback ran.
   */
  unpackFed(
    feed: (tar: Writable) => Promise<InflatedContent>,
    expectedDiffId: string | undefined,
    signal?: AbortSignal,
  ): Promise<PendingLayer> {
    return this.extract(expectedDiffId, signal, async (tar) => {
      const [content] = await Promise.all([feed(tar), finished(tar)]);
      return content;
    });
  }

  private async extract(
    expectedDiffId: string | undefined,
    signal: AbortSignal | undefined,
    run: (tar: Writable) => Promise<InflatedContent>,
    onFailure?: () => void,
  ): Promise<PendingLayer> {
    const work = join(this.root, 'tmp', randomBytes(12).toString('hex'));
    const diffDir = join(work, 'diff');
    await mkdir(diffDir, { recursive: true, mode: 0o755 });
    const sink = new DirectExtractSink(diffDir);
    const rewriter = new LayerTarRewriter(sink);
    rewriter.resume(); // the sink consumes entries; nothing comes out of the readable side
    try {
      let content: InflatedContent;
      try {
        content = await run(rewriter);
        await sink.complete(signal);
      } finally {
        await sink.dispose();
      }
      const diffId = content.digest;
      if (expectedDiffId !== undefined && diffId !== expectedDiffId) {
        throw new InvalidArgumentError(
          `layer content digest mismatch: expected ${expectedDiffId}, got ${diffId}`,
        );
      }
      const info: LayerInfo = {
        diffId,
        size: rewriter.stats.contentBytes,
        tarSize: content.bytes,
      };
      await writeJsonAtomic(join(work, 'layer.json'), info);
      return {
        info,
        commit: async () => {
          if (await this.has(diffId)) {
            await rm(work, { recursive: true, force: true });
            return;
          }
          await rename(work, this.dirFor(diffId)).catch(async (error: NodeJS.ErrnoException) => {
            // Another pull published the same layer between our check and rename.
            if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST')
              await rm(work, { recursive: true, force: true });
            else throw error;
          });
          await fsyncDirectory(join(this.root, 'sha256'));
        },
        discard: () => rm(work, { recursive: true, force: true }),
      };
    } catch (error) {
      onFailure?.();
      rewriter.destroy();
      await rm(work, { recursive: true, force: true });
      if (error instanceof InvalidArgumentError || error instanceof SystemError) throw error;
      if (signal?.aborted) throw error;
      throw new InvalidArgumentError(`cannot unpack layer: ${errorMessage(error)}`);
    }
  }

  /** Bytes used by layer content on disk (sum of recorded layer sizes). */
  async totalSize(): Promise<number> {
    let total = 0;
    for (const diffId of await this.list()) {
      const info = await this.info(diffId).catch(() => undefined);
      total += info?.size ?? 0;
    }
    return total;
  }
}
