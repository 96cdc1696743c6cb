// A SOCK_SEQPACKET server stands in for conmon here: the point is the packet protocol and the
// connection's life cycle. The real conmon is exercised by the integration tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeqpacketServer, type SeqpacketSocket } from 'node-unix-socket';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConmonAttachConnection,
  parseAttachPacket,
  resizeMessage,
  writeControlMessage,
} from './conmon-attach';

let dir: string;
let server: SeqpacketServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-attach-'));
});
afterEach(() => {
  server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function fakeConmon(onConnection: (socket: SeqpacketSocket) => void): string {
  const path = join(dir, 'attach');
  server = new SeqpacketServer();
  server.listen(path);
  server.on('connection', onConnection);
  return path;
}

describe('conmon attach protocol', () => {
  it('tags packets by stream and drops unknown tags', () => {
    expect(parseAttachPacket(Buffer.from([2, 0x68, 0x69]))).toEqual({
      stream: 'stdout',
      data: Buffer.from('hi'),
    });
    expect(parseAttachPacket(Buffer.from([3, 0x21]))?.stream).toBe('stderr');
    expect(parseAttachPacket(Buffer.from([9, 0x21]))).toBeUndefined();
    expect(parseAttachPacket(Buffer.from([2]))).toBeUndefined();
  });

  it('demultiplexes output, sends input raw, and half-closes on endInput', async () => {
    const received: Buffer[] = [];
    let sawInputEnd = false;
    const path = fakeConmon((socket) => {
      socket.write(Buffer.from([2, ...Buffer.from('out')]));
      socket.write(Buffer.from([3, ...Buffer.from('err')]));
      socket.on('data', (data: Buffer) => received.push(data));
      socket.on('end', () => {
        sawInputEnd = true;
        socket.end();
      });
    });
    const connection = await ConmonAttachConnection.connect(path);
    const output: string[] = [];
    connection.on('output', (stream, data) => output.push(`${stream}:${data.toString()}`));
    const ended = new Promise<void>((resolve) => connection.once('end', resolve));
    await connection.write(Buffer.from('input'));
    connection.endInput();
    await ended;
    expect(output).toEqual(['stdout:out', 'stderr:err']);
    expect(Buffer.concat(received).toString()).toBe('input');
    expect(sawInputEnd).toBe(true);
  });

  it('rejects when nothing listens', async () => {
    await expect(ConmonAttachConnection.connect(join(dir, 'missing'))).rejects.toThrow();
  });
});

describe('conmon control fifo', () => {
  it('formats resize messages and refuses nonsense sizes', () => {
    expect(resizeMessage(24, 80)).toBe('1 24 80\n');
    expect(() => resizeMessage(-1, 80)).toThrow('invalid terminal size -1x80');
    expect(() => resizeMessage(1.5, 80)).toThrow(RangeError);
  });

  it('writes to a fifo with a reader and fails fast without one', async () => {
    const fifo = join(dir, 'ctl');
    execFileSync('mkfifo', [fifo]);
    await expect(writeControlMessage(fifo, resizeMessage(1, 2))).rejects.toMatchObject({
      code: 'ENXIO',
    });
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await writeControlMessage(fifo, resizeMessage(30, 100));
      expect(readFileSync(reader.fd).toString()).toBe('1 30 100\n');
    } finally {
      await reader.close();
    }
  });
});
