import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotModifiedError } from '../errors';
import { silentLogger } from '../logger';
import { hijack, rawStreamType } from './hijack';
import type { Route } from './route';
import { createApiServer, type ApiServer } from './server';
import { maxApiVersion } from './version';

let dir: string;
let socket: string;
let api: ApiServer;
let aborted = 0;
const bodies: unknown[] = [];

const routes: Route[] = [
  {
    method: 'POST',
    path: '/echo/{id}',
    handler: async (ctx) => {
      const body = await ctx.json<Record<string, unknown>>();
      const text = JSON.stringify({ id: ctx.params['id'], version: ctx.apiVersion, body });
      ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
      ctx.res.end(text);
    },
  },
  {
    method: 'POST',
    path: '/conflict',
    handler: async () => Promise.reject(new ConflictError('name taken')),
  },
  {
    method: 'POST',
    path: '/same',
    handler: async () => Promise.reject(new NotModifiedError('already')),
  },
  {
    method: 'GET',
    path: '/hang',
    handler: (ctx) =>
      new Promise<void>((resolve) => {
        ctx.res.writeHead(200);
        ctx.res.flushHeaders();
        ctx.signal.addEventListener('abort', () => {
          aborted++;
          resolve();
        });
      }),
  },
  {
    method: 'POST',
    path: '/attach',
    handler: async (ctx) => {
      bodies.push(await ctx.json());
      const conn = await hijack(ctx, rawStreamType);
      // Echo stdin upper-cased until the client half-closes, then finish.
      conn.input.on('data', (chunk: Buffer) => conn.output.write(chunk.toString().toUpperCase()));
      await new Promise<void>((resolve) => conn.input.once('end', () => resolve()));
      conn.output.write('bye');
      conn.close();
    },
  },
];

function listen(): Promise<void> {
  return new Promise((resolve) => api.http.listen(socket, () => resolve()));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-api-'));
  socket = join(dir, 's.sock');
  api = createApiServer({ routes, logger: silentLogger, serverHeader: 'Berth/test' });
  await listen();
});

afterAll(async () => {
  await api.drain(1000);
  rmSync(dir, { recursive: true, force: true });
});

function send(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: body ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw HTTP over the socket: what the docker CLI does for attach. */
function raw(request: string, stdin: string[], halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket);
    let out = '';
    client.on('data', (c: Buffer) => (out += c.toString()));
    client.on('end', () => resolve(out));
    client.on('error', reject);
    client.write(request);
    for (const piece of stdin) client.write(piece);
    if (halfClose) setTimeout(() => client.end(), 100);
  });
}

describe('createApiServer', () => {
  it('routes versioned paths with params and parses JSON bodies', async () => {
    const reply = await send('POST', '/v1.41/echo/abc', '{"x":1}');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ id: 'abc', version: '1.41', body: { x: 1 } });
    expect(reply.headers['api-version']).toBe(maxApiVersion);
    const empty = await send('POST', '/echo/e');
    expect(JSON.parse(empty.body).body).toEqual({});
  });

  it('maps errors to statuses with {"message"} bodies in one place', async () => {
    const bad = await send('POST', '/echo/x', '{nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/invalid JSON body/);
    const conflict = await send('POST', '/conflict');
    expect([conflict.status, JSON.parse(conflict.body)]).toEqual([409, { message: 'name taken' }]);
    const same = await send('POST', '/same');
    expect([same.status, same.body]).toEqual([304, '']);
  });

  it('aborts the handler when the client hangs up', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ socketPath: socket, path: '/hang' }, () => {
        req.destroy();
        setTimeout(resolve, 100);
      });
      req.end();
    });
    expect(aborted).toBe(1);
  });

  it('upgrades to a raw stream, strips a Content-Length body, and streams until the client half-closes', async () => {
    const body = '{"stream":true,"stdin":true}';
    const out = await raw(
      `POST /v1.43/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ['hello '],
      true,
    );
    expect(
      out.startsWith(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      ),
    ).toBe(true);
    expect(out.endsWith('HELLO bye')).toBe(true);
    expect(bodies.at(-1)).toEqual({ stream: true, stdin: true });
  });

  it('answers an upgrade request that fails with a normal JSON error and closes', async () => {
    const out = await raw(
      'POST /containers/nope/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
      [],
      false,
    );
    expect(out.startsWith('HTTP/1.1 404')).toBe(true);
    expect(out).toContain('Content-Type: application/json');
    expect(out.endsWith('{"message":"page not found"}\n')).toBe(true);
  });

  it('strips a chunked (empty) body before stdin, as docker-modem sends it', async () => {
    const out = await raw(
      'POST /attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ['abc'],
      true,
    );
    expect(out.endsWith('ABCbye')).toBe(true);
    expect(bodies.at(-1)).toEqual({});
  });
});
