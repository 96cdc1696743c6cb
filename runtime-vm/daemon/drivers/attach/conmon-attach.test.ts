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

/**
 * Ends a fake conmon's socket. The addon throws EBADF for one it has closed already (it closes a
 * socket on its own once both sides have shut down), which here only means there is nothing left
 * to end.
 */
function endUnlessClosed(socket: SeqpacketSocket): void {
  try {
    socket.end();
  } catch (error) {
    if (!/Bad file number|EBADF/i.test((error as Error).message)) throw error;
  }
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

  it('reads output from one socket, sends input raw through a second, and half-closes it on endInput', async () => {
    const received: Buffer[] = [];
    const sockets: SeqpacketSocket[] = [];
    let sawInputEnd = false;
    const path = fakeConmon((socket) => {
      sockets.push(socket);
      // conmon sends the output to every attach socket.
      socket.write(Buffer.from([2, ...Buffer.from('out')]));
      socket.write(Buffer.from([3, ...Buffer.from('err')]));
      socket.on('data', (data: Buffer) => received.push(data));
      socket.on('end', () => {
        // EOF closes the process's stdin; it ends, and conmon closes every attach socket.
        sawInputEnd = true;
        setImmediate(() => {
          for (const peer of sockets) endUnlessClosed(peer);
        });
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
    expect(sockets).toHaveLength(2);
  });

  it('shares one output and one input socket per container: clients leaving never close stdin, endInput does', async () => {
    const peers: SeqpacketSocket[] = [];
    const received: Buffer[] = [];
    let sawInputEnd = false;
    const path = fakeConmon((socket) => {
      peers.push(socket);
      socket.on('data', (data: Buffer) => received.push(data));
      socket.on('end', () => (sawInputEnd = true));
    });
    const watcher = await ConmonAttachConnection.share(path, { holdsStdin: true });
    const typist = await ConmonAttachConnection.share(path, { holdsStdin: true });
    const seen: string[] = [];
    watcher.on('output', (_stream, data) => seen.push(`watcher:${data.toString()}`));
    typist.on('output', (_stream, data) => seen.push(`typist:${data.toString()}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peers).toHaveLength(1); // the input socket opens with the first input
    peers[0]!.write(Buffer.from([2, ...Buffer.from('hi')]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.sort()).toEqual(['typist:hi', 'watcher:hi']);
    watcher.destroy();
    await typist.write(Buffer.from('typed'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sawInputEnd).toBe(false);
    typist.endInput();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sawInputEnd).toBe(true);
    expect(Buffer.concat(received).toString()).toBe('typed');
    expect(peers).toHaveLength(2);
    // conmon closing the sockets (the container exited) ends every client.
    const ended = new Promise<void>((resolve) => typist.once('end', resolve));
    for (const peer of peers) endUnlessClosed(peer);
    await ended;
  });

  it('keeps output and the end that come before anyone listens (a quick exec)', async () => {
    const path = fakeConmon((socket) => {
      socket.write(Buffer.from([2, ...Buffer.from('early')]));
      socket.end();
    });
    const connection = await ConmonAttachConnection.connect(path);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const output: string[] = [];
    const ended = new Promise<void>((resolve) => connection.once('end', resolve));
    connection.on('output', (stream, data) => output.push(`${stream}:${data.toString()}`));
    await ended;
    expect(output).toEqual(['stdout:early']);
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
