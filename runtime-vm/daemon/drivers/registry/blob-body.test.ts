import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPlainBlob, type BlobBody } from './blob-body';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: Server): Promise<URL> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return new URL(`http://127.0.0.1:${port}/v2/some/repo/blobs/sha256:abc`);
}

function httpServer(handler: RequestListener): Promise<URL> {
  return listen(createHttpServer(handler) as unknown as Server);
}

/** A server that writes `parts` (raw bytes) with a pause between them, then closes. */
function rawServer(parts: Buffer[], onRequest?: (head: string) => void): Promise<URL> {
  return listen(
    createNetServer((socket: Socket) => {
      socket.once('data', async (request: Buffer) => {
        onRequest?.(request.toString('latin1'));
        for (const part of parts) {
          socket.write(part);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        socket.end();
      });
    }),
  );
}

/** A writer that copies each chunk only later, as the digest ring does when it is full. */
function slowCollector(delayMs: number): { target: Writable; bytes: () => Buffer } {
  const copies: Buffer[] = [];
  const target = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, done) {
      setTimeout(() => {
        copies.push(Buffer.from(chunk));
        done();
      }, delayMs);
    },
  });
  // A failed body destroys its target with the error; the pipeline would normally report it.
  target.on('error', () => undefined);
  return { target, bytes: () => Buffer.concat(copies) };
}

describe('fetchPlainBlob', () => {
  it('reads a large body into its reused buffer without losing or mixing bytes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    let requestHeaders: Record<string, string | string[] | undefined> = {};
    const url = await httpServer((req, res) => {
      requestHeaders = req.headers;
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
    });
    const body = (await fetchPlainBlob(url, { Authorization: 'Bearer t0ken' })) as BlobBody;
    expect(body.size).toBe(data.length);
    const { target, bytes } = slowCollector(1);
    await body.pipeTo(target);
    expect(bytes().equals(data)).toBe(true);
    expect(requestHeaders['authorization']).toBe('Bearer t0ken');
    expect(requestHeaders['host']).toBe(url.host);
  });

  it('parses a head split across reads and keeps the body bytes that came with it', async () => {
    const data = randomBytes(100_000);
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`);
    let requested = '';
    const url = await rawServer(
      [
        head.subarray(0, 10),
        Buffer.concat([head.subarray(10), data.subarray(0, 1000)]),
        data.subarray(1000),
      ],
      (text) => (requested = text),
    );
    const body = (await fetchPlainBlob(url, {})) as BlobBody;
    const { target, bytes } = slowCollector(0);
    await body.pipeTo(target);
    expect(bytes().equals(data)).toBe(true);
    expect(requested).toMatch(/^GET \/v2\/some\/repo\/blobs\/sha256:abc HTTP\/1\.1\r\n/);
  });

  it('leaves redirects, errors and chunked bodies to the regular client', async () => {
    const redirect = await httpServer((_req, res) => {
      res.writeHead(307, { Location: 'http://elsewhere.invalid/blob' });
      res.end();
    });
    expect(await fetchPlainBlob(redirect, {})).toBeUndefined();
    const missing = await httpServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
    });
    expect(await fetchPlainBlob(missing, {})).toBeUndefined();
    const chunked = await httpServer((_req, res) => {
      res.writeHead(200);
      res.write('part one');
      res.end('part two');
    });
    expect(await fetchPlainBlob(chunked, {})).toBeUndefined();
  });

  it('leaves an unreachable registry to the regular client', async () => {
    const url = await httpServer(() => undefined);
    const closed = servers.pop() as Server;
    await new Promise((resolve) => closed.close(resolve));
    expect(await fetchPlainBlob(url, {})).toBeUndefined();
  });

  it('fails a body cut short by the registry, and the target with it', async () => {
    const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 500000\r\n\r\n');
    const url = await rawServer([head, randomBytes(120_000)]);
    const body = (await fetchPlainBlob(url, {})) as BlobBody;
    const { target } = slowCollector(0);
    await expect(body.pipeTo(target)).rejects.toThrow(/after 120000 of 500000 bytes \(truncated\)/);
    expect(target.destroyed).toBe(true);
  });

  it('fails a body longer than announced', async () => {
    const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
    const url = await rawServer([head, Buffer.alloc(5), Buffer.alloc(50)]);
    const body = (await fetchPlainBlob(url, {})) as BlobBody;
    const { target } = slowCollector(0);
    await expect(body.pipeTo(target)).rejects.toThrow(/more bytes than it announced/);
  });

  it('stops reading when the signal aborts', async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': 10_000_000 });
      res.write(Buffer.alloc(100_000));
    });
    const controller = new AbortController();
    const body = (await fetchPlainBlob(url, {}, controller.signal)) as BlobBody;
    const { target } = slowCollector(0);
    const piping = body.pipeTo(target, controller.signal);
    setTimeout(() => controller.abort(new Error('client went away')), 20);
    await expect(piping).rejects.toThrow('client went away');
    expect(target.destroyed).toBe(true);
  });
});
