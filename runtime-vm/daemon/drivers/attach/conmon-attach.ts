// conmon's attach socket: SOCK_SEQPACKET, which Node's `net` cannot open (EPROTOTYPE), so it goes
// through node-unix-socket. Each packet from conmon starts with one byte naming the stream
// (2 stdout, 3 stderr); input is written raw.
//
// conmon closes the container's stdin when an attach connection reaches EOF, unless it was started
// with --leave-stdin-open: callers choose that flag from Docker's StdinOnce.
//
// Output is read from a socket that never writes, and input goes through a second one opened on
// first use: once a node-unix-socket socket has written, a peer that closes right after sending
// makes it fail (EPIPE, EPERM, EBADF) and close without delivering what was still queued to read,
// which lost the whole output of short `docker exec -it` runs whose stdin sent a byte.
import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SeqpacketSocket } from 'node-unix-socket';
import type { OutputStream, ProcessStdioEvents } from './process-stdio';

const STREAM_BY_TAG: Record<number, OutputStream> = { 2: 'stdout', 3: 'stderr' };

/** Parses one packet from conmon; unknown tags are dropped rather than shown as output. */
export function parseAttachPacket(
  packet: Buffer,
): { stream: OutputStream; data: Buffer } | undefined {
  const stream = STREAM_BY_TAG[packet[0] ?? -1];
  if (!stream || packet.length < 2) return undefined;
  return { stream, data: packet.subarray(1) };
}

const MAX_EARLY_OUTPUT = 1024 * 1024;

/** Where a connection's input goes: a socket of its own, or a share of one. */
interface AttachTransport {
  write(data: Buffer): Promise<void>;
  endInput(): void;
  release(): void;
}

/**
 * One client's connection to a container's (or exec's) conmon attach socket. `connect` opens a
 * socket of its own; `share` joins the one socket berthd keeps per container (see SharedAttach).
 */
export class ConmonAttachConnection extends EventEmitter<ProcessStdioEvents> {
  private closed = false;
  private transport: AttachTransport | undefined;
  /**
   * Output that came before anyone listened: an exec is connected before it runs, and its first
   * lines can arrive before the caller is done starting it. Emitted, then the end, once the
   * caller subscribes. Undefined from then on.
   */
  private early: [OutputStream, Buffer][] | undefined = [];
  private earlyBytes = 0;
  private endWithheld = false;

  private constructor() {
    super();
    (this as EventEmitter).on('newListener', (event: string) => {
      // Subscribers attach output and end together: release both once they are in place.
      if ((event === 'output' || event === 'end') && this.early)
        queueMicrotask(() => this.release());
    });
  }

  private release(): void {
    const early = this.early;
    if (!early) return;
    this.early = undefined;
    for (const [stream, data] of early) this.emit('output', stream, data);
    if (this.endWithheld) this.emit('end');
  }

  static connect(path: string): Promise<ConmonAttachConnection> {
    return openSeqpacket(path).then((socket) => {
      const connection = new ConmonAttachConnection();
      const input = new InputSocket(path);
      connection.transport = {
        write: (data) => input.write(data),
        endInput: () => input.end(),
        release: () => {
          socket.destroy();
          input.destroy();
        },
      };
      socket.on('data', (packet: Buffer) => {
        const parsed = parseAttachPacket(packet);
        if (parsed) connection.deliver(parsed.stream, parsed.data);
      });
      // conmon closed it (the process is over): our side must be closed too, or its descriptor
      // stays open (the addon only closes a socket both ends have shut down). Not from inside
      // the addon's own event: it may still emit on the socket, and aborts if it is closed.
      const over = () => {
        connection.finish();
        setImmediate(() => {
          socket.destroy();
          input.destroy();
        });
      };
      socket.on('end', over);
      socket.on('close', over);
      socket.on('error', (error: Error) => {
        if (connection.listenerCount('error') > 0) connection.emit('error', error);
        over();
      });
      return connection;
    });
  }

  /**
   * Joins the container's shared attach socket (opened on first use). Leaving it does not close
   * it, so conmon only closes the container's stdin when berthd asks (endInput), never because
   * some client went away.
   */
  static async share(
    path: string,
    options: { holdsStdin: boolean },
  ): Promise<ConmonAttachConnection> {
    const shared = await SharedAttach.open(path, options.holdsStdin);
    const connection = new ConmonAttachConnection();
    connection.transport = shared.join(connection);
    return connection;
  }

  /** Sends input to the container's stdin. */
  write(data: Buffer): Promise<void> {
    if (this.closed || !this.transport) return Promise.resolve();
    return this.transport.write(data);
  }

  /** Half-closes: conmon then closes the container's stdin (unless --leave-stdin-open). */
  endInput(): void {
    if (!this.closed) this.transport?.endInput();
  }

  /**
   * No pause: the seqpacket addon has no way to stop reading, so conmon's output keeps coming and
   * waits in the client's socket buffer. (Plain pipes, execs without a terminal, do pause.)
   */
  pause(): void {}

  resume(): void {}

  /** Closes the connection; output already queued by conmon is dropped. */
  destroy(): void {
    if (this.closed) return;
    this.transport?.release();
    this.finish();
  }

  /** @internal output from the socket */
  deliver(stream: OutputStream, data: Buffer): void {
    if (this.closed) return;
    if (this.early) {
      // Bounded: a caller that never subscribes must not make berthd hold a chatty stream.
      if (this.earlyBytes + data.length <= MAX_EARLY_OUTPUT) {
        this.early.push([stream, data]);
        this.earlyBytes += data.length;
      }
      return;
    }
    this.emit('output', stream, data);
  }

  /** @internal the socket ended: the container's output is over */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.early) this.endWithheld = true;
    else this.emit('end');
  }
}

/**
 * The writing side of an attach connection: its own socket, opened on first use. conmon sends it
 * a copy of the output too, which is read and dropped; its errors end nothing (the output socket
 * tells when the process is over).
 */
class InputSocket {
  private socket: Promise<SeqpacketSocket> | undefined;
  private destroyed = false;
  /**
   * Writes and a shutdown not called back yet. The addon aborts the process when it calls back
   * on a socket already closed ("emitter already unreferenced"), so closing waits for them.
   */
  private pending = 0;

  constructor(private readonly path: string) {}

  write(data: Buffer): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.pending++;
    return this.open()
      .then(
        (socket) =>
          new Promise<void>((resolve) => socket.write(data, 0, data.length, () => resolve())),
      )
      .catch(() => undefined)
      .finally(() => this.settle());
  }

  /** EOF: conmon closes the process's stdin (unless --leave-stdin-open). */
  end(): void {
    if (this.destroyed) return;
    this.pending++;
    this.open()
      .then((socket) => new Promise<void>((resolve) => socket.end(() => resolve())))
      .catch(() => undefined)
      .finally(() => this.settle());
  }

  destroy(): void {
    this.destroyed = true;
    if (this.pending === 0) this.close();
  }

  private settle(): void {
    this.pending--;
    if (this.destroyed && this.pending === 0) this.close();
  }

  private close(): void {
    void this.socket?.then((socket) => socket.destroy()).catch(() => undefined);
  }

  private open(): Promise<SeqpacketSocket> {
    this.socket ??= openSeqpacket(this.path).then((socket) => {
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      return socket;
    });
    return this.socket;
  }
}

/**
 * The native addon loads on the first attach, not with berthd: loading it is a quarter of a
 * second or more of the VM's boot under emulation, and most starts never attach.
 */
let addon: Promise<typeof import('node-unix-socket')> | undefined;

async function openSeqpacket(path: string): Promise<SeqpacketSocket> {
  addon ??= import('node-unix-socket');
  const { SeqpacketSocket } = await addon;
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
        resolve(socket);
      });
    } catch (error) {
      socket.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * The one attach socket berthd holds per container while it runs. Output fans out to every
 * client; any client's input goes in. conmon closes the container's stdin when an attach socket
 * reaches EOF (unless --leave-stdin-open), so with one socket per client a `docker attach
 * --no-stdin` leaving would close a StdinOnce container's stdin; Docker closes it only when the
 * client that had stdin leaves. The socket closes when conmon closes it (the container exited).
 */
class SharedAttach {
  private static readonly byPath = new Map<string, Promise<SharedAttach>>();
  private readonly clients = new Set<ConmonAttachConnection>();
  private inputEnded = false;
  private ended = false;

  private readonly input: InputSocket;

  private constructor(
    private readonly path: string,
    private readonly socket: SeqpacketSocket,
    /**
     * A StdinOnce container's stdin must stay open until the client that had it leaves, so the
     * socket outlives its clients; otherwise it closes with the last one, and berthd does not
     * parse a chatty container's output for nobody.
     */
    private readonly holdsStdin: boolean,
  ) {
    this.input = new InputSocket(path);
    socket.on('data', (packet: Buffer) => {
      const parsed = parseAttachPacket(packet);
      if (!parsed) return;
      for (const client of this.clients) client.deliver(parsed.stream, parsed.data);
    });
    const end = () => this.end();
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  static async open(path: string, holdsStdin: boolean): Promise<SharedAttach> {
    const existing = SharedAttach.byPath.get(path);
    if (existing) {
      const shared = await existing.catch(() => undefined);
      if (shared && !shared.ended) return shared;
    }
    const opening = openSeqpacket(path).then(
      (socket) => new SharedAttach(path, socket, holdsStdin),
    );
    SharedAttach.byPath.set(path, opening);
    opening.catch(() => {
      if (SharedAttach.byPath.get(path) === opening) SharedAttach.byPath.delete(path);
    });
    return opening;
  }

  join(client: ConmonAttachConnection): AttachTransport {
    this.clients.add(client);
    return {
      write: (data) => this.write(data),
      endInput: () => {
        // Later clients' input has nowhere to go: conmon closed the stdin.
        if (this.inputEnded || this.ended) return;
        this.inputEnded = true;
        this.input.end();
      },
      release: () => {
        this.clients.delete(client);
        if (this.clients.size === 0 && (!this.holdsStdin || this.inputEnded)) this.end();
      },
    };
  }

  private write(data: Buffer): Promise<void> {
    if (this.inputEnded || this.ended) return Promise.resolve();
    return this.input.write(data);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    this.input.destroy();
    const opening = SharedAttach.byPath.get(this.path);
    void opening?.then((shared) => {
      if (shared === this && SharedAttach.byPath.get(this.path) === opening)
        SharedAttach.byPath.delete(this.path);
    });
    for (const client of [...this.clients]) client.finish();
    this.clients.clear();
  }
}

/** conmon's control fifo message that resizes the terminal: `1 ROWS COLS\n`. */
export function resizeMessage(rows: number, cols: number): string {
  assertTerminalSize(rows, cols);
  return `1 ${rows} ${cols}\n`;
}

/** A terminal size a resize may ask for. */
export function assertTerminalSize(rows: number, cols: number): void {
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
