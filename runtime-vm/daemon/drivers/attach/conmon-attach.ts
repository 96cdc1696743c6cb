// conmon's attach socket: SOCK_SEQPACKET, which Node's `net` cannot open (EPROTOTYPE), so it goes
// through node-unix-socket. Each packet from conmon starts with one byte naming the stream
// (2 stdout, 3 stderr); input is written raw.
//
// conmon closes the container's stdin when an attach connection reaches EOF, unless it was started
// with --leave-stdin-open: callers choose that flag from Docker's StdinOnce.
import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { SeqpacketSocket } from 'node-unix-socket';

export type OutputStream = 'stdout' | 'stderr';

const STREAM_BY_TAG: Record<number, OutputStream> = { 2: 'stdout', 3: 'stderr' };

/** Parses one packet from conmon; unknown tags are dropped rather than shown as output. */
export function parseAttachPacket(
  packet: Buffer,
): { stream: OutputStream; data: Buffer } | undefined {
  const stream = STREAM_BY_TAG[packet[0] ?? -1];
  if (!stream || packet.length < 2) return undefined;
  return { stream, data: packet.subarray(1) };
}

export interface AttachConnectionEvents {
  output: [stream: OutputStream, data: Buffer];
  /** conmon closed the connection: the container's output is over. */
  end: [];
  error: [error: Error];
}

/** One connection to a container's (or exec's) conmon attach socket. */
export class ConmonAttachConnection extends EventEmitter<AttachConnectionEvents> {
  private closed = false;

  private constructor(private readonly socket: SeqpacketSocket) {
    super();
    socket.on('data', (packet: Buffer) => {
      const parsed = parseAttachPacket(packet);
      if (parsed) this.emit('output', parsed.stream, parsed.data);
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      this.finish();
    });
  }

  static connect(path: string): Promise<ConmonAttachConnection> {
    return new Promise((resolve, reject) => {
      const socket = new SeqpacketSocket();
      const onError = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', onError);
      try {
        socket.connect(path, () => {
          socket.off('error', onError);
          resolve(new ConmonAttachConnection(socket));
        });
      } catch (error) {
        socket.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Sends input to the container's stdin. */
  write(data: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(data, 0, data.length, () => resolve()));
  }

  /** Half-closes: conmon then closes the container's stdin (unless --leave-stdin-open). */
  endInput(): void {
    if (!this.closed) this.socket.end();
  }

  /** Closes the connection; output already queued by conmon is dropped. */
  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('end');
  }
}

/** conmon's control fifo message that resizes the terminal: `1 ROWS COLS\n`. */
export function resizeMessage(rows: number, cols: number): string {
  if (
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 0 ||
    cols < 0 ||
    rows > 65535 ||
    cols > 65535
  ) {
    throw new RangeError(`invalid terminal size ${rows}x${cols}`);
  }
  return `1 ${rows} ${cols}\n`;
}

/** conmon's control fifo message that makes it reopen its log file, after a rotation. */
export const REOPEN_LOG_MESSAGE = '2 0 0\n';

/**
 * Writes a control message to conmon's `ctl` fifo. Opened non-blocking: when conmon is gone there
 * is no reader, and the open fails with ENXIO instead of hanging the daemon.
 */
export async function writeControlMessage(ctlPath: string, message: string): Promise<void> {
  const handle = await open(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await handle.write(message);
  } finally {
    await handle.close();
  }
}
