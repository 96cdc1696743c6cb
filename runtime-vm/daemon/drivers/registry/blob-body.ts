// The body of a blob GET. Node's HTTP client reads every socket chunk into fresh memory and then
// copies each body part into more fresh memory: at hundreds of MB/s that costs a page fault per
// 4 KiB, collections, and a fragmented malloc heap that stays resident after a pull. A blob GET
// over plain HTTP (loopback and insecure registries) is the simplest exchange there is, so it is
// done here by hand: one request, and for a 200 with a Content-Length the body is read with net's
// `onread` into a buffer that is reused. Anything else (TLS, redirects, auth challenges, chunked
// bodies, errors) is left to the regular client.
import { connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../errors';

export interface BlobBody {
  /** Content-Length, or -1 when the registry did not send one. */
  readonly size: number;
  /**
   * Writes the whole body to `target` and ends it. A chunk's memory may be reused once that
   * write's callback ran, so the target must not keep references to chunks beyond it.
   */
  pipeTo(target: Writable, signal?: AbortSignal): Promise<void>;
  /** Drops a body that will not be read. */
  cancel(): void;
}

/** A body from Node's HTTP client. */
export function streamBody(stream: Readable, size: number): BlobBody {
  return {
    size,
    pipeTo: (target, signal) => pipeline(stream, target, signal ? { signal } : {}),
    cancel: () => stream.destroy(),
  };
}

const readBufferBytes = 256 * 1024;
const maxHeadBytes = 64 * 1024;
/** Read buffers of finished downloads, for the next ones (a pull fetches 3 layers at a time). */
const spareReadBuffers: Buffer[] = [];
const maxSpareReadBuffers = 4;

interface Head {
  status: number;
  headers: Map<string, string>;
}

function parseHead(text: string): Head | undefined {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers };
}

/** The length of a plain 200 response's body, or undefined for anything the fast path skips. */
function plainBodyLength(head: Head): number | undefined {
  if (head.status !== 200) return undefined;
  if (head.headers.has('transfer-encoding')) return undefined;
  const encoding = head.headers.get('content-encoding');
  if (encoding !== undefined && encoding !== 'identity') return undefined;
  const length = head.headers.get('content-length');
  if (length === undefined || !/^\d+$/.test(length)) return undefined;
  return Number(length);
}

/**
 * GETs `url` (http:) and, when the answer is a plain 200 with a Content-Length, returns its body
 * read into reused memory. Undefined when the answer is anything else or the exchange failed
 * before the body: the caller then asks again through the regular client, which reports errors.
 */
export function fetchPlainBlob(
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<BlobBody | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(undefined);
      return;
    }
    const buffer = spareReadBuffers.pop() ?? Buffer.allocUnsafe(readBufferBytes);
    const headParts: Buffer[] = [];
    let headBytes = 0;
    let body: PlainBody | undefined;
    const giveUp = () => {
      socket.destroy();
      signal?.removeEventListener('abort', giveUp);
      resolve(undefined);
    };
    const socket: Socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      onread: {
        buffer,
        callback: (nread: number, read: Uint8Array): boolean => {
          if (body) return body.onRead(nread);
          headParts.push(Buffer.from(read.subarray(0, nread)));
          headBytes += nread;
          const received = Buffer.concat(headParts);
          const end = received.indexOf('\r\n\r\n');
          if (end < 0) {
            if (headBytes > maxHeadBytes) giveUp();
            return true;
          }
          const head = parseHead(received.subarray(0, end).toString('latin1'));
          const length = head && plainBodyLength(head);
          if (length === undefined) {
            giveUp();
            return false;
          }
          signal?.removeEventListener('abort', giveUp);
          socket.removeListener('error', giveUp);
          socket.removeListener('end', giveUp);
          // The body bytes that came with the head stay in the read buffer: the socket is paused
          // until pipeTo() writes them.
          const early = received.length - (end + 4);
          buffer.set(received.subarray(end + 4), 0);
          body = new PlainBody(socket, buffer, length, early);
          resolve(body);
          return false;
        },
      },
    });
    // Flowing, so that 'end' is emitted (pausing for the target only stops the reads).
    socket.resume();
    socket.once('error', giveUp);
    socket.once('end', giveUp);
    signal?.addEventListener('abort', giveUp, { once: true });
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    lines.push('Connection: close', '', '');
    socket.write(lines.join('\r\n'));
  });
}

class PlainBody implements BlobBody {
  private received = 0;
  private target: Writable | undefined;
  private paused = true;
  private settled = false;
  /** A failure seen before pipeTo() was called. */
  private failure: Error | undefined;
  private resolve: () => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;

  constructor(
    private readonly socket: Socket,
    private readonly buffer: Buffer,
    readonly size: number,
    private readonly early: number,
  ) {
    socket.pause();
    socket.on('error', (error) => this.fail(error));
    socket.once('end', () => {
      if (this.received < this.size) this.fail(this.truncated());
    });
  }

  pipeTo(target: Writable, signal?: AbortSignal): Promise<void> {
    this.target = target;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.fail(signal?.reason as Error);
      const onClose = () => {
        if (!this.settled) this.fail(new InvalidArgumentError('the layer writer closed early'));
      };
      this.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        target.removeListener('close', onClose);
        resolve();
      };
      this.reject = (error) => {
        signal?.removeEventListener('abort', onAbort);
        target.removeListener('close', onClose);
        reject(error);
      };
      if (this.failure || signal?.aborted) {
        this.fail(this.failure ?? (signal?.reason as Error));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      target.once('close', onClose);
      this.paused = false;
      if (this.early === 0 || this.onRead(this.early)) this.socket.resume();
    });
  }

  cancel(): void {
    this.settled = true;
    this.socket.destroy();
  }

  private truncated(): Error {
    return new InvalidArgumentError(
      `the registry closed the connection after ${this.received} of ${this.size} bytes (truncated)`,
    );
  }

  /** Bytes arrived in the read buffer; false pauses the socket until the target took them. */
  onRead(nread: number): boolean {
    const target = this.target;
    if (this.settled || !target) return false;
    if (this.received + nread > this.size) {
      this.fail(new InvalidArgumentError('the registry sent more bytes than it announced'));
      return false;
    }
    this.received += nread;
    target.write(this.buffer.subarray(0, nread), (error) => {
      if (error) this.fail(error);
      else if (this.paused && target.writableLength === 0) this.resumeReading();
    });
    // The target keeps no reference once nothing is pending: the buffer may be refilled at once.
    if (target.writableLength > 0) {
      this.paused = true;
      return false;
    }
    if (this.received === this.size) this.complete();
    return true;
  }

  private resumeReading(): void {
    this.paused = false;
    if (this.received === this.size) this.complete();
    else this.socket.resume();
  }

  private complete(): void {
    if (this.settled) return;
    this.settled = true;
    this.socket.destroy();
    if (spareReadBuffers.length < maxSpareReadBuffers) spareReadBuffers.push(this.buffer);
    this.target?.end();
    this.resolve();
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.socket.destroy();
    if (!this.target) {
      // Reported when pipeTo() is called.
      this.failure ??= error;
      return;
    }
    this.settled = true;
    this.target.destroy(error);
    this.reject(error);
  }
}
