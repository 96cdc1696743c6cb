import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
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

/** Runs `gz` (in 64 KiB socket-sized chunks) through an inflating stream. */
async function inflate(gz: Buffer, target: Writable) {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < gz.length; offset += 65_536)
    chunks.push(gz.subarray(offset, offset + 65_536));
  const stream = new OffThreadDigestingStream({ coalesce: true, inflateInto: target });
  const passed: Buffer[] = [];
  const download = pipeline(
    Readable.from(chunks),
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        passed.push(Buffer.from(chunk));
        stream.releaseChunk();
        done();
      },
    }),
  );
  return { stream, download, passed };
}

/** A tar writer that reads each chunk only later: a refilled slot would show as corruption. */
function delayedCollector(into: Buffer[], sizes: number[] = []): Writable {
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, done) {
      sizes.push(chunk.length);
      setTimeout(() => {
        into.push(Buffer.from(chunk));
        done();
      }, 2);
    },
  });
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('OffThreadDigestingStream inflating gzip', () => {
  it('inflates concatenated members into reused slots and digests both sides', async () => {
    const plain = Buffer.concat([randomBytes(5 * 1024 * 1024 + 99), Buffer.alloc(3_000_000, 1)]);
    const gz = Buffer.concat([
      gzipSync(plain.subarray(0, 4_000_000)),
      gzipSync(plain.subarray(4_000_000)),
    ]);
    const received: Buffer[] = [];
    const sizes: number[] = [];
    const target = delayedCollector(received, sizes);
    const { stream, download, passed } = await inflate(gz, target);
    const [content] = await Promise.all([stream.inflated(), download, finished(target)]);
    expect(content).toEqual({ digest: sha256(plain), bytes: plain.length });
    expect(Buffer.concat(received).equals(plain)).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024 * 1024);
    expect(Buffer.concat(passed).equals(gz)).toBe(true);
    expect(await stream.digest()).toBe(sha256(gz));
  });

  it('inflates an empty gzip stream', async () => {
    const gz = gzipSync(Buffer.alloc(0));
    const target = delayedCollector([]);
    const { stream, download } = await inflate(gz, target);
    const [content] = await Promise.all([stream.inflated(), download, finished(target)]);
    expect(content).toEqual({ digest: sha256(Buffer.alloc(0)), bytes: 0 });
  });

  it('fails on corrupt data, and its target with it', async () => {
    const gz = gzipSync(randomBytes(2_000_000));
    gz[gz.length - 6] = (gz[gz.length - 6] as number) ^ 0xff; // the CRC no longer matches
    const target = delayedCollector([]);
    target.on('error', () => undefined);
    const { stream, download } = await inflate(gz, target);
    await expect(stream.inflated()).rejects.toThrow(/corrupt gzip layer: incorrect data check/);
    await download.catch(() => undefined);
    expect(target.destroyed).toBe(true);
  });

  it('fails on a truncated stream once its end is reached', async () => {
    const gz = gzipSync(randomBytes(1_500_000));
    const target = delayedCollector([]);
    target.on('error', () => undefined);
    const { stream, download } = await inflate(gz.subarray(0, gz.length - 5000), target);
    await expect(stream.inflated()).rejects.toThrow(/corrupt gzip layer: unexpected end of file/);
    await download.catch(() => undefined);
    expect(target.destroyed).toBe(true);
  });

  it('stops the download when its target fails, and says so', async () => {
    // More than the input and output rings hold: the download has to wait for the target.
    const gz = gzipSync(randomBytes(12_000_000));
    const target = new Writable({
      write(_chunk: Buffer, _enc, done) {
        done(new Error('hostile tar entry'));
      },
    });
    target.on('error', () => undefined);
    const { stream, download } = await inflate(gz, target);
    await expect(download).rejects.toThrow('hostile tar entry');
    await expect(stream.inflated()).rejects.toThrow('hostile tar entry');
    expect(stream.targetFailure?.message).toBe('hostile tar entry');
  });
});
