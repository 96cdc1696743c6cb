// Attach and exec-start take over the connection. With `Upgrade: tcp` we answer 101 and then
// speak raw bytes on the socket; without it we answer 200 with a raw-stream body (dockerode's
// non-hijack attach). The request body (dockerode sends options as JSON) precedes stdin on the
// same socket, so exactly that body is stripped first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { InvalidArgumentError } from '../errors';
import type { RequestContext } from './route';

export const rawStreamType = 'application/vnd.docker.raw-stream';
export const multiplexedStreamType = 'application/vnd.docker.multiplexed-stream';

/** Sockets a handler has taken over (101 sent): the server must not close them after the handler. */
const upgradedSockets = new WeakSet<Duplex>();

function markUpgraded(socket: Duplex): void {
  upgradedSockets.add(socket);
}

export function isUpgraded(socket: Duplex): boolean {
  return upgradedSockets.has(socket);
}

const maxUpgradeBody = 1024 * 1024;
const bodies = new WeakMap<IncomingMessage, Promise<Buffer>>();

export function isUpgradeRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '') !== '' && /upgrade/i.test(req.headers.connection ?? '');
}

/** Reads bytes from `socket` until `parse` says the body is complete; the surplus is unshifted. */
function readFramed(
  socket: Duplex,
  parse: (buffer: Buffer) => { body: Buffer; used: number } | undefined,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffer = Buffer.concat([buffer, chunk]);
        const parsed = parse(buffer);
        if (parsed) {
          cleanup();
          if (parsed.used < buffer.length) socket.unshift(buffer.subarray(parsed.used));
          resolve(parsed.body);
          return;
        }
        if (buffer.length > maxUpgradeBody) {
          cleanup();
          reject(new InvalidArgumentError('hijack request body is too large'));
          return;
        }
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new InvalidArgumentError('connection closed inside the request body'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const immediate = parse(buffer);
    if (immediate) {
      resolve(immediate.body);
      return;
    }
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
    onReadable();
  });
}

function parseChunked(buffer: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = parseInt(
      buffer.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '',
      16,
    );
    if (Number.isNaN(size)) throw new InvalidArgumentError('malformed chunked request body');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // Last chunk: skip optional trailers up to the empty line.
      const end = buffer.indexOf('\r\n', dataStart);
      if (end < 0) return undefined;
      if (end === dataStart) return { body: Buffer.concat(parts), used: end + 2 };
      const trailersEnd = buffer.indexOf('\r\n\r\n', dataStart);
      if (trailersEnd < 0) return undefined;
      return { body: Buffer.concat(parts), used: trailersEnd + 4 };
    }
    if (buffer.length < dataStart + size + 2) return undefined;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    offset = dataStart + size + 2;
  }
}

/** The body of an upgrade request, read off the raw socket (memoized per request). */
export function readUpgradeBody(req: IncomingMessage, socket: Duplex): Promise<Buffer> {
  let body = bodies.get(req);
  if (!body) {
    const length = Number(req.headers['content-length'] ?? 0);
    const chunked = /chunked/i.test(String(req.headers['transfer-encoding'] ?? ''));
    body = chunked
      ? readFramed(socket, parseChunked)
      : readFramed(socket, (buffer) =>
          buffer.length >= length ? { body: buffer.subarray(0, length), used: length } : undefined,
        );
    bodies.set(req, body);
  }
  return body;
}

export interface HijackedConnection {
  /** Client → daemon bytes (stdin); ends when the client half-closes. */
  input: Readable;
  /** Daemon → client bytes. */
  output: Writable;
  upgraded: boolean;
  /** Ends the response and releases the connection. */
  close(): void;
}

/**
 * Sends the success headers and hands the raw connection to the caller. The status is decided
 * here, before the first byte: errors must be thrown before calling this.
 */
export async function hijack(
  ctx: RequestContext,
  contentType: string,
): Promise<HijackedConnection> {
  const { req, res } = ctx;
  if (isUpgradeRequest(req)) {
    const socket = req.socket as Duplex;
    await readUpgradeBody(req, socket);
    markUpgraded(socket);
    detachResponse(res);
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    );
    return {
      input: socket,
      output: socket,
      upgraded: true,
      close: () => {
        if (!socket.destroyed) socket.end();
      },
    };
  }
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  // Without an upgrade the request body is only the options JSON; there is no stdin.
  const input = new PassThrough();
  input.end();
  req.resume();
  return {
    input,
    output: res,
    upgraded: false,
    close: () => {
      if (!res.writableEnded) res.end();
    },
  };
}

/** After a 101 the ServerResponse must never write to the socket again. */
function detachResponse(res: ServerResponse): void {
  res.detachSocket(res.socket as never);
}

/** One handshake-only server for every websocket attach: it never listens itself. */
let webSocketServer: WebSocketServer | undefined;

function isWebSocketRequest(req: IncomingMessage): boolean {
  return (
    req.method === 'GET' &&
    isUpgradeRequest(req) &&
    /^websocket$/i.test(String(req.headers.upgrade ?? '')) &&
    /^[+/0-9A-Za-z]{22}==$/.test(String(req.headers['sec-websocket-key'] ?? '')) &&
    /^(8|13)$/.test(String(req.headers['sec-websocket-version'] ?? ''))
  );
}

/**
 * Completes a websocket handshake and exposes the socket as a hijacked connection: each message
 * received is stdin bytes, each output write is one message. dockerd sends binary messages from
 * API 1.28 on, text before (moby #28176). Not-a-websocket requests fail with 400 before any byte.
 */
export async function hijackWebSocket(
  ctx: RequestContext,
  binary: boolean,
): Promise<HijackedConnection> {
  const { req, res } = ctx;
  if (!isWebSocketRequest(req)) {
    throw new InvalidArgumentError('this endpoint needs a websocket upgrade request');
  }
  const socket = req.socket as Duplex;
  webSocketServer ??= new WebSocketServer({ noServer: true, perMessageDeflate: false });
  markUpgraded(socket);
  detachResponse(res);
  // The server already put any early bytes back on the socket, so the head is empty here.
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    // A handshake ws refuses answers the client itself and never calls back.
    const onClose = () => reject(new Error('websocket handshake failed'));
    socket.once('close', onClose);
    webSocketServer!.handleUpgrade(req, socket, Buffer.alloc(0), (accepted) => {
      socket.off('close', onClose);
      resolve(accepted);
    });
  });
  const input = new PassThrough();
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) {
        callback();
        return;
      }
      ws.send(chunk, { binary }, (error) => callback(error ?? null));
    },
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    input.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
  });
  const onGone = () => {
    input.end();
    if (!output.destroyed) output.destroy();
  };
  ws.on('close', onGone);
  ws.on('error', onGone);
  return {
    input,
    output,
    upgraded: true,
    close: () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      else if (ws.readyState !== ws.CLOSED) ws.terminate();
    },
  };
}
