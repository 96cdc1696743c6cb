import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { readLogs } from './logs-service';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A fake engine whose container answers logs with the given body (Buffer or stream). */
function engineWith(tty: boolean, body: () => Buffer | PassThrough, seen: unknown[] = []) {
  const container = {
    inspect: async () => ({ Config: { Tty: tty } }),
    logs: async (options: unknown) => {
      seen.push(options);
      return body();
    },
  };
  return {
    docker: () => ({ getContainer: () => container }) as unknown as Docker,
  } as unknown as EngineAccess;
}

describe('readLogs', () => {
  it('reads a buffered (non-follow) answer, demultiplexed, always with timestamps', async () => {
    const seen: unknown[] = [];
    const engine = engineWith(
      false,
      () =>
        Buffer.concat([
          frame(1, '2024-01-01T00:00:00Z out\n'),
          frame(2, '2024-01-01T00:00:01Z err\n'),
        ]),
      seen,
    );
    const lines: LogLine[] = [];
    await readLogs(engine, { id: 'c', follow: false, tail: 5 }, (batch) => lines.push(...batch));
    expect(lines).toEqual([
      { stream: 'stdout', time: '2024-01-01T00:00:00Z', text: 'out' },
      { stream: 'stderr', time: '2024-01-01T00:00:01Z', text: 'err' },
    ]);
    expect(seen[0]).toMatchObject({ follow: false, timestamps: true, tail: 5 });
  });

  it('streams a TTY log as raw bytes until the engine ends it', async () => {
    const stream = new PassThrough();
    const lines: LogLine[] = [];
    const done = readLogs(
      engineWith(true, () => stream),
      { id: 'c' },
      (batch) => lines.push(...batch),
    );
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('2024-01-01T00:00:00Z \x1b[32mgreen\x1b[0m\n2024-01-01T00:00:01Z par');
    stream.end('tial\n');
    await done;
    expect(lines.map((line) => line.text)).toEqual(['\x1b[32mgreen\x1b[0m', 'partial']);
  });

  it('stops when aborted and releases the stream', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const done = readLogs(
      engineWith(true, () => stream),
      { id: 'c' },
      () => undefined,
      controller.signal,
    );
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await done;
    expect(stream.destroyed).toBe(true);
  });
});
