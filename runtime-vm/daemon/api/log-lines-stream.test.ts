import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { streamLogLines } from './log-lines-stream';
import { StreamType, parseFrames } from './stream-framing';

const record = (stream: 'stdout' | 'stderr', text: string, tag = 'F') =>
  `2026-01-01T00:00:00.000000000+00:00 ${stream} ${tag} ${text}\n`;

/**
 * A response whose socket takes each write only later, as a slow client's would. It records what
 * each write held when it was handed over and when the socket finally took it: a buffer reused
 * before its write completed would differ between the two.
 */
class SlowResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  readonly handedOver: Buffer[] = [];
  readonly taken: Buffer[] = [];

  write(data: Buffer, done: () => void): boolean {
    this.handedOver.push(Buffer.from(data));
    setTimeout(() => {
      this.taken.push(Buffer.from(data));
      done();
    }, 5);
    return false;
  }
}

/** Hands out chunks from one buffer that is overwritten for every chunk, as the log reader does. */
async function* reusedChunks(chunks: string[]): AsyncGenerator<Buffer> {
  const shared = Buffer.alloc(Math.max(...chunks.map((chunk) => chunk.length)));
  for (const chunk of chunks) {
    const length = shared.write(chunk);
    yield shared.subarray(0, length);
    shared.fill(0x21);
  }
}

function demultiplex(writes: Buffer[]): string {
  return writes
    .flatMap((write) => [...parseFrames(write)])
    .map(({ stream, payload }) => `${stream === StreamType.Stderr ? '!' : ''}${payload}`)
    .join('');
}

describe('streamLogLines', () => {
  it('frames every record, and reuses no buffer before the socket took it', async () => {
    const chunks = Array.from({ length: 6 }, (_, index) =>
      [
        record('stdout', `out-${index}-a`),
        record('stdout', `out-${index}-`, 'P'),
        record('stdout', 'b'),
        record('stderr', `err-${index}`),
      ].join(''),
    );
    const res = new SlowResponse();
    await streamLogLines(res as unknown as ServerResponse, reusedChunks(chunks), {
      stdout: true,
      stderr: true,
      multiplexed: true,
      signal: new AbortController().signal,
    });
    expect(res.taken).toHaveLength(6);
    expect(res.taken).toEqual(res.handedOver);
    const expected = chunks.map((_, index) => `out-${index}-a\nout-${index}-b\n!err-${index}\n`);
    expect(demultiplex(res.taken)).toBe(expected.join(''));
  });

  it('keeps only the streams asked for, and writes raw text for a TTY', async () => {
    const chunk = record('stdout', 'shown') + record('stderr', 'hidden');
    const res = new SlowResponse();
    await streamLogLines(res as unknown as ServerResponse, reusedChunks([chunk]), {
      stdout: true,
      stderr: false,
      multiplexed: false,
      signal: new AbortController().signal,
    });
    expect(Buffer.concat(res.taken).toString()).toBe('shown\n');
  });

  it('stops at once when the client is gone', async () => {
    const res = new SlowResponse();
    const abort = new AbortController();
    abort.abort();
    await streamLogLines(res as unknown as ServerResponse, reusedChunks([record('stdout', 'x')]), {
      stdout: true,
      stderr: true,
      multiplexed: true,
      signal: abort.signal,
    });
    expect(res.handedOver).toEqual([]);
  });
});
