import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { OffThreadDigestingStream } from './offthread-digest';

async function digestOf(chunks: Buffer[]): Promise<{ digest: string; passed: Buffer }> {
  const stream = new OffThreadDigestingStream();
  const passed: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        passed.push(chunk);
        done();
      },
    }),
  );
  return { digest: await stream.digest(), passed: Buffer.concat(passed) };
}

describe('OffThreadDigestingStream', () => {
  it('hashes chunks of every size across batch boundaries, passing the bytes through', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12_345);
    const sizes = [1, 65_536, 1024 * 1024 - 7, 2 * 1024 * 1024 + 3, 17];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (let i = 0; offset < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      chunks.push(data.subarray(offset, offset + size));
      offset += size;
    }
    const { digest, passed } = await digestOf(chunks);
    expect(digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(passed.equals(data)).toBe(true);
  });

  it('hashes an empty stream', async () => {
    const { digest } = await digestOf([]);
    expect(digest).toBe(`sha256:${createHash('sha256').digest('hex')}`);
  });

  it('hashes exactly one full batch', async () => {
    const data = randomBytes(1024 * 1024);
    const { digest } = await digestOf([data]);
    expect(digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
  });
});

describe('OffThreadDigestingStream in coalescing mode', () => {
  it('passes the bytes on in 1 MiB chunks, refilling a slot only after it was released', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 4321);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += 65_536)
      chunks.push(data.subarray(offset, offset + 65_536));
    const stream = new OffThreadDigestingStream({ coalesce: true });
    const sizes: number[] = [];
    const copies: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      stream,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          sizes.push(chunk.length);
          // Read the slot later, as a file write would: it must not have been refilled.
          setTimeout(() => {
            copies.push(Buffer.from(chunk));
            stream.releaseChunk();
            done();
          }, 2);
        },
      }),
    );
    expect(await stream.digest()).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(Buffer.concat(copies).equals(data)).toBe(true);
    expect(sizes.slice(0, -1).every((size) => size === 1024 * 1024)).toBe(true);
    expect(sizes.at(-1)).toBe(4321);
  });
});
