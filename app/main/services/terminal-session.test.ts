import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../../shared/workbench-types';
import { TerminalSession, replayLimitChars } from './terminal-session';

/** A fake exec stream: what the test pushes is output, what the session writes is recorded. */
function fakeStream() {
  const written: string[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      callback();
    },
  });
  return { stream, written };
}

function session(exitCode: number | null = 0) {
  const { stream, written } = fakeStream();
  const sizes: [number, number][] = [];
  const terminal = new TerminalSession(
    {
      id: 's1',
      containerId: 'c1',
      command: ['sh'],
      user: '',
      workdir: '',
      createdAt: 0,
      exited: false,
    },
    {
      stream,
      resize: async (cols, rows) => void sizes.push([cols, rows]),
      exitCode: async () => exitCode,
    },
  );
  return { terminal, stream, written, sizes };
}

/** Stream 'data' events fire on a later tick. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const data = (events: TerminalEvent[]) =>
  events.flatMap((event) => (event.kind === 'data' ? [event.data] : [])).join('');

describe('TerminalSession', () => {
  it('replays earlier output to a later attach, then streams live output', async () => {
    const { terminal, stream } = session();
    stream.push(Buffer.from('$ ls\r\nbin\r\n'));
    await tick();
    const first: TerminalEvent[] = [];
    const detach = terminal.attach((event) => first.push(event));
    stream.push(Buffer.from('$ '));
    await tick();
    detach();
    stream.push(Buffer.from('while detached'));
    await tick();
    const second: TerminalEvent[] = [];
    terminal.attach((event) => second.push(event));
    expect(data(first)).toBe('$ ls\r\nbin\r\n$ ');
    expect(data(second)).toBe('$ ls\r\nbin\r\n$ while detached');
  });

  it('keeps multi-byte characters whole across chunks', async () => {
    const { terminal, stream } = session();
    const bytes = Buffer.from('é');
    stream.push(bytes.subarray(0, 1));
    stream.push(bytes.subarray(1));
    await tick();
    const events: TerminalEvent[] = [];
    terminal.attach((event) => events.push(event));
    expect(data(events)).toBe('é');
  });

  it('bounds the replay buffer', async () => {
    const { terminal, stream } = session();
    const chunk = 'x'.repeat(64 * 1024);
    for (let index = 0; index < 10; index++) stream.push(Buffer.from(chunk));
    await tick();
    const events: TerminalEvent[] = [];
    terminal.attach((event) => events.push(event));
    expect(data(events).length).toBeLessThanOrEqual(replayLimitChars);
    expect(data(events).length).toBeGreaterThan(replayLimitChars / 2);
  });

  it('forwards input and resizes, and reports the exit code to attached and late viewers', async () => {
    const { terminal, stream, written, sizes } = session(3);
    terminal.write('ls\r');
    await terminal.resize(120, 40);
    expect(written).toEqual(['ls\r']);
    expect(sizes).toEqual([[120, 40]]);
    const events: TerminalEvent[] = [];
    terminal.attach((event) => events.push(event));
    stream.push(null);
    await expect.poll(() => events.at(-1)).toEqual({ kind: 'exit', exitCode: 3 });
    expect(terminal.exited).toBe(true);
    expect(terminal.info).toMatchObject({ exited: true, exitCode: 3 });
    const late: TerminalEvent[] = [];
    terminal.attach((event) => late.push(event));
    expect(late.at(-1)).toEqual({ kind: 'exit', exitCode: 3 });
    terminal.write('ignored after exit');
    expect(written).toEqual(['ls\r']);
  });
});

describe('flow control', () => {
  /** A renderer's backpressure, congested until the test says it caught up. */
  function renderer() {
    let catchUp: () => void = () => undefined;
    const backpressure = {
      congested: true,
      drained: () => new Promise<void>((resolve) => (catchUp = resolve)),
    };
    return {
      backpressure,
      caughtUp: async () => {
        backpressure.congested = false;
        catchUp();
        await tick();
      },
    };
  }

  it('pauses the engine stream while a renderer is behind, and resumes once it caught up', async () => {
    const { terminal, stream } = session();
    const slow = renderer();
    const events: TerminalEvent[] = [];
    terminal.attach((event) => events.push(event), slow.backpressure);
    stream.push('flood');
    await tick();
    expect(data(events)).toBe('flood');
    expect(stream.isPaused()).toBe(true);
    await slow.caughtUp();
    expect(stream.isPaused()).toBe(false);
  });

  it('stays paused while any renderer is behind, and resumes when a behind one detaches', async () => {
    const { terminal, stream } = session();
    const first = renderer();
    const second = renderer();
    terminal.attach(() => undefined, first.backpressure);
    const detachSecond = terminal.attach(() => undefined, second.backpressure);
    stream.push('flood');
    await tick();
    await first.caughtUp();
    expect(stream.isPaused()).toBe(true);
    detachSecond();
    expect(stream.isPaused()).toBe(false);
  });
});
