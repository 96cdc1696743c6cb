import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { readLogs, readProjectLogs, secondsAfter } from './logs-service';

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

describe('readLogs flow control', () => {
  it('pauses the engine stream while the client is congested and resumes once drained', async () => {
    const stream = new PassThrough();
    let congested = true;
    let release: () => void = () => undefined;
    const backpressure = {
      get congested() {
        return congested;
      },
      drained: () => new Promise<void>((resolve) => (release = resolve)),
    };
    const lines: LogLine[] = [];
    const controller = new AbortController();
    const done = readLogs(
      engineWith(true, () => stream),
      { id: 'c' },
      (batch) => lines.push(...batch),
      controller.signal,
      backpressure,
    );
    await new Promise((resolve) => setImmediate(resolve));
    stream.write('2024-01-01T00:00:00Z one\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.isPaused()).toBe(true);
    congested = false;
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.isPaused()).toBe(false);
    controller.abort();
    await done;
    expect(lines.map((line) => line.text)).toEqual(['one']);
  });
});

describe('readProjectLogs', () => {
  /** A fake engine with two compose containers answering buffered (non-follow) logs. */
  function projectEngine(listed: unknown[]) {
    const bodies: Record<string, Buffer> = {
      a1: Buffer.concat([
        frame(1, '2024-01-01T00:00:01.000000000Z api up\n'),
        frame(1, '2024-01-01T00:00:03.000000000Z api ready\n'),
      ]),
      b2: frame(2, '2024-01-01T00:00:02.5Z db booting\n'),
    };
    return {
      docker: () =>
        ({
          listContainers: async (options: unknown) => {
            listed.push(options);
            return [
              { Id: 'a1', Names: ['/shop-api-1'] },
              { Id: 'b2', Names: ['/shop-db-1'] },
            ];
          },
          getContainer: (id: string) => ({
            inspect: async () => ({ Config: { Tty: false } }),
            logs: async () => bodies[id],
          }),
        }) as unknown as Docker,
    } as unknown as EngineAccess;
  }

  it('merges the containers of a project by time and tags each line', async () => {
    const listed: unknown[] = [];
    const lines: LogLine[] = [];
    await readProjectLogs(projectEngine(listed), { project: 'shop', follow: false }, (batch) =>
      lines.push(...batch),
    );
    expect(listed[0]).toMatchObject({
      all: true,
      filters: { label: ['com.docker.compose.project=shop'] },
    });
    expect(lines.map((line) => `${line.source}: ${line.text}`)).toEqual([
      'shop-api-1: api up',
      'shop-db-1: db booting',
      'shop-api-1: api ready',
    ]);
    expect(lines[1]!.stream).toBe('stderr');
  });

  it('names a project without containers', async () => {
    const engine = {
      docker: () => ({ listContainers: async () => [] }) as unknown as Docker,
    } as unknown as EngineAccess;
    await expect(readProjectLogs(engine, { project: 'nope' }, () => undefined)).rejects.toThrow(
      'no containers in compose project "nope"',
    );
  });
  it('follows containers that start later: new ones whole, restarted ones after the last line', async () => {
    const events = new PassThrough();
    const streams: Record<string, PassThrough[]> = { a1: [], c3: [] };
    const asked: Array<{ id: string; options: Record<string, unknown> }> = [];
    const engine = {
      docker: () =>
        ({
          getEvents: async () => events,
          listContainers: async () => [{ Id: 'a1', Names: ['/shop-api-1'] }],
          getContainer: (id: string) => ({
            inspect: async () => ({ Config: { Tty: false } }),
            logs: async (options: Record<string, unknown>) => {
              asked.push({ id, options });
              const stream = new PassThrough();
              streams[id]!.push(stream);
              return stream;
            },
          }),
        }) as unknown as Docker,
    } as unknown as EngineAccess;
    const lines: string[] = [];
    const abort = new AbortController();
    const done = readProjectLogs(
      engine,
      { project: 'shop', follow: true },
      (batch) => lines.push(...batch.map((line) => `${line.source}: ${line.text}`)),
      abort.signal,
    );
    const until = async (what: () => boolean) => {
      while (!what()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await until(() => streams.a1!.length === 1);
    streams.a1![0]!.write(frame(1, '2024-01-01T00:00:01.250000000Z api up\n'));
    // A new container of the project (a scaled or recreated service).
    events.write(
      `${JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'c3', Attributes: { name: 'shop-worker-1' } } })}\n`,
    );
    await until(() => streams.c3!.length === 1);
    streams.c3![0]!.write(frame(1, '2024-01-01T00:00:02.000000000Z worker up\n'));
    // The api container stops (its stream ends), then starts again.
    streams.a1![0]!.end();
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.write(
      `${JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'a1', Attributes: { name: 'shop-api-1' } } })}\n`,
    );
    await until(() => streams.a1!.length === 2);
    streams.a1![1]!.write(frame(1, '2024-01-01T00:00:05.000000000Z api back\n'));
    await until(() => lines.length === 3);
    abort.abort();
    await done;
    expect(lines).toEqual([
      'shop-api-1: api up',
      'shop-worker-1: worker up',
      'shop-api-1: api back',
    ]);
    expect(asked.map(({ id, options }) => [id, options['since']])).toEqual([
      ['a1', undefined],
      ['c3', undefined],
      ['a1', secondsAfter('2024-01-01T00:00:01.250000000Z')],
    ]);
    expect(secondsAfter('2024-01-01T00:00:01.250000000Z')).toBeCloseTo(1704067201.250001, 6);
    expect(events.destroyed).toBe(true);
  });
});
