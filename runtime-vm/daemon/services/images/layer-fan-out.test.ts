import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecompressor } from '../../drivers/snapshots/decompress';
import { OffThreadDigestingStream } from '../../store/offthread-digest';
import { LayerFanOut } from './layer-fan-out';

/** A sink that reads each chunk only `delayMs` later, as a slow disk or tar writer would. */
function collector(into: Buffer[], delayMs: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      setTimeout(() => {
        into.push(Buffer.from(chunk));
        done();
      }, delayMs);
    },
  });
}

async function fanOut(blob: Buffer, decompressor: Duplex, keepsChunks: boolean) {
  const socketChunks: Buffer[] = [];
  for (let offset = 0; offset < blob.length; offset += 65_536)
    socketChunks.push(blob.subarray(offset, offset + 65_536));
  const digester = new OffThreadDigestingStream({ coalesce: true });
  const fileBytes: Buffer[] = [];
  const plainBytes: Buffer[] = [];
  await Promise.all([
    pipeline(
      Readable.from(socketChunks),
      digester,
      new LayerFanOut(
        collector(fileBytes, 0),
        decompressor,
        () => digester.releaseChunk(),
        keepsChunks,
      ),
    ),
    pipeline(decompressor, new PassThrough(), collector(plainBytes, 5)),
  ]);
  return {
    digest: await digester.digest(),
    file: Buffer.concat(fileBytes),
    plain: Buffer.concat(plainBytes),
  };
}

describe('LayerFanOut', () => {
  it('writes a gzip blob to the file and the decompressor without corrupting either', async () => {
    const plain = randomBytes(5 * 1024 * 1024 + 999);
    const blob = gzipSync(plain);
    const result = await fanOut(blob, createDecompressor('gzip'), false);
    expect(result.file.equals(blob)).toBe(true);
    expect(result.plain.equals(plain)).toBe(true);
    expect(result.digest).toBe(`sha256:${createHash('sha256').update(blob).digest('hex')}`);
  });

  it('hands an uncompressed layer on as copies, since a pass-through keeps its chunks', async () => {
    const blob = randomBytes(6 * 1024 * 1024 + 17);
    // A roomy buffer accepts every chunk at once: without copies the ring could be refilled
    // under chunks it still holds.
    const result = await fanOut(blob, new PassThrough({ highWaterMark: 16 * 1024 * 1024 }), true);
    expect(result.file.equals(blob)).toBe(true);
    expect(result.plain.equals(blob)).toBe(true);
  });

  it('fails the download and ends the decompressor when the blob is corrupt', async () => {
    const blob = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(3 * 1024 * 1024)]);
    await expect(fanOut(blob, createDecompressor('gzip'), false)).rejects.toThrow();
  });
});
