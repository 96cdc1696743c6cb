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
