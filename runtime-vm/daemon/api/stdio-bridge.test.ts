import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConmonAttachConnection } from '../drivers/attach/conmon-attach';
import { DetachKeyScanner, bridgeStdio, parseDetachKeys } from './stdio-bridge';

describe('detach keys', () => {
  it("parses Docker's syntax and defaults to ctrl-p,ctrl-q", () => {
    expect([...parseDetachKeys('')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-a,x,ctrl-@')]).toEqual([1, 120, 0]);
    expect(() => parseDetachKeys('ctrl-ab')).toThrow("Unknown character: 'ctrl-ab'");
  });

  it('detaches on the sequence even across chunks, forwarding everything else', () => {
    const scanner = new DetachKeyScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(scanner.scan(Buffer.from('ls\n'))).toEqual({
      forward: Buffer.from('ls\n'),
      detach: false,
    });
    expect(scanner.scan(Buffer.from([0x61, 0x10]))).toEqual({
      forward: Buffer.from('a'),
      detach: false,
    });
    expect(scanner.scan(Buffer.from([0x11, 0x62]))).toEqual({
      forward: Buffer.alloc(0),
      detach: true,
    });
  });

  it('releases a held-back prefix that turned out not to be the sequence', () => {
    const scanner = new DetachKeyScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(scanner.scan(Buffer.from([0x10]))).toEqual({ forward: Buffer.alloc(0), detach: false });
    expect(scanner.scan(Buffer.from([0x10, 0x41]))).toEqual({
      forward: Buffer.from([0x10, 0x10, 0x41]),
      detach: false,
    });
  });
});

/** A process connection and a client, recorded instead of sockets. */
function harness(options: { tty: boolean; closeStdinOnEof: boolean; keepTtyStdinOpen?: boolean }) {
  const process = Object.assign(new EventEmitter(), {
    written: [] as Buffer[],
    inputEnded: false,
    destroyed: false,
    write(data: Buffer) {
      this.written.push(data);
      return Promise.resolve();
    },
    endInput() {
      this.inputEnded = true;
    },
    destroy() {
      this.destroyed = true;
    },
    paused: false,
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
  });
  const input = new PassThrough();
  // A small buffer, so a client that does not read fills it quickly.
  const output = new PassThrough({ highWaterMark: 16 });
  let closed = false;
  const client = {
    input,
    output,
    upgraded: true,
    close: () => {
      closed = true;
    },
  };
  const end = bridgeStdio({
    client,
    process: process as unknown as ConmonAttachConnection,
    tty: options.tty,
    streams: { stdin: true, stdout: true, stderr: true },
    closeStdinOnEof: options.closeStdinOnEof,
    ...(options.keepTtyStdinOpen !== undefined
      ? { keepTtyStdinOpen: options.keepTtyStdinOpen }
      : {}),
    detachKeys: parseDetachKeys(''),
  });
  return { process, input, output, end, isClosed: () => closed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bridging stdin as dockerd does', () => {
  it('passes detach keys through without a TTY', async () => {
    const h = harness({ tty: false, closeStdinOnEof: false });
    h.input.write(Buffer.from([0x78, 0x10, 0x11, 0x79]));
    await tick();
    expect(Buffer.concat(h.process.written)).toEqual(Buffer.from([0x78, 0x10, 0x11, 0x79]));
    h.process.emit('end');
    expect(await h.end).toBe('exited');
  });

  it('detaches a TTY client without closing the stdin', async () => {
    const h = harness({ tty: true, closeStdinOnEof: true, keepTtyStdinOpen: true });
    h.input.write(Buffer.from([0x61, 0x10, 0x11]));
    expect(await h.end).toBe('detached');
    expect(h.process.inputEnded).toBe(false);
    expect(Buffer.concat(h.process.written).toString()).toBe('a');
  });

  it('closes a StdinOnce (or exec) stdin at EOF without a TTY and keeps streaming', async () => {
    const h = harness({ tty: false, closeStdinOnEof: true, keepTtyStdinOpen: true });
    h.input.end();
    await tick();
    expect(h.process.inputEnded).toBe(true);
    expect(h.isClosed()).toBe(false);
    h.process.emit('end');
    expect(await h.end).toBe('exited');
  });

  it("ends only the client's stream at EOF on a TTY container attach", async () => {
    const h = harness({ tty: true, closeStdinOnEof: true, keepTtyStdinOpen: true });
    h.input.end();
    expect(await h.end).toBe('input-ended');
    expect(h.process.inputEnded).toBe(false);
    expect(h.process.destroyed).toBe(true);
  });

  it("leaves an exec's terminal open at EOF and streams until it exits", async () => {
    const h = harness({ tty: true, closeStdinOnEof: true });
    h.input.end();
    await tick();
    expect(h.process.inputEnded).toBe(false);
    expect(h.isClosed()).toBe(false);
    h.process.emit('end');
    expect(await h.end).toBe('exited');
  });
});

describe('bridging output', () => {
  it('pauses the process while the client is behind, and resumes once it has read', async () => {
    const { process, output } = harness({ tty: true, closeStdinOnEof: false });
    process.emit('output', 'stdout', Buffer.alloc(8));
    expect(process.paused).toBe(false);
    process.emit('output', 'stdout', Buffer.alloc(64));
    expect(process.paused).toBe(true);
    output.resume(); // the client reads it all
    await tick();
    expect(process.paused).toBe(false);
  });
});
