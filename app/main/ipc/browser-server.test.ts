// Browser-mode security: token → cookie, 401 without it, foreign Origin and a Host that is not
// the bound address refused on HTTP and WebSocket, and contract validation over the socket.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerMessage } from '../../shared/rpc/protocol';
import { createServices } from '../services/index';
import {
  openTestWebSocket,
  startTestBrowserServer,
  type StaticServer,
} from '../test-support/transports';
import { websocketPath } from './browser-server';

function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${websocketPath}`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}

describe('browser mode server', () => {
  let http: StaticServer;
  let port: number;
  let cookie: string;
  let host: string;

  beforeAll(async () => {
    const { services } = createServices({
      configDir: undefined,
      cliEngine: 'unix:///nonexistent/engine.sock',
      env: {},
      dockerConfigDir: '/nonexistent',
    });
    http = await startTestBrowserServer(services);
    port = http.server.port;
    cookie = `berth_token=${http.server.token}`;
    host = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await http.close();
  });

  it('prints a loopback URL that carries a long random token', () => {
    expect(http.server.url).toBe(`http://127.0.0.1:${port}/?token=${http.server.token}`);
    expect(http.server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 without the token', async () => {
    expect((await get(port, '/')).status).toBe(401);
    expect((await get(port, '/index.html', { Cookie: 'berth_token=wrong' })).status).toBe(401);
    expect((await get(port, '/?token=wrong')).status).toBe(401);
  });

  it('trades the URL token for an HttpOnly cookie and serves the page with a CSP', async () => {
    const exchange = await get(port, `/?token=${http.server.token}`);
    expect(exchange.status).toBe(302);
    expect(exchange.headers.location).toBe('/');
    expect(String(exchange.headers['set-cookie'])).toMatch(
      /^berth_token=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/,
    );
    const page = await get(port, '/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Berth test');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('refuses a Host header that is not the bound address (DNS rebinding)', async () => {
    const response = await get(port, '/', { Cookie: cookie, Host: `evil.example:${port}` });
    expect(response.status).toBe(403);
    expect(response.body).toContain('Host');
    expect(
      await upgradeStatus(port, {
        Cookie: cookie,
        Host: `evil.example:${port}`,
        Origin: `http://evil.example:${port}`,
      }),
    ).toBe(403);
  });

  it('refuses a foreign Origin on HTTP and on the WebSocket', async () => {
    expect((await get(port, '/', { Cookie: cookie, Origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect(
      await upgradeStatus(port, { Cookie: cookie, Origin: 'http://evil.example', Host: host }),
    ).toBe(403);
    expect(
      await upgradeStatus(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port + 1}` }),
    ).toBe(403);
  });

  it('refuses a WebSocket without the cookie or without an Origin', async () => {
    expect(await upgradeStatus(port, { Origin: http.server.origin })).toBe(401);
    expect(await upgradeStatus(port, { Cookie: cookie })).toBe(403);
    expect(await upgradeStatus(port, { Cookie: cookie, Origin: http.server.origin })).toBe(101);
  });

  it('answers calls that fail argument validation with invalid_argument', async () => {
    const ws = await openTestWebSocket(http.server);
    const reply = new Promise<ServerMessage>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerMessage)),
    );
    ws.send(
      JSON.stringify({
        type: 'call',
        id: 1,
        service: 'volumes',
        method: 'browse',
        args: { name: 'data', path: '/../etc' },
      }),
    );
    expect(await reply).toMatchObject({
      type: 'error',
      id: 1,
      error: { code: 'invalid_argument' },
    });
    ws.close();
  });

  it('closes the socket on malformed JSON', async () => {
    const ws = await openTestWebSocket(http.server);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{not json');
    expect(await closed).toBe(1007);
  });

  it('reports an engine whose socket is missing as unreachable, with the reason', async () => {
    const ws = await openTestWebSocket(http.server);
    const reply = new Promise<ServerMessage>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerMessage)),
    );
    ws.send(
      JSON.stringify({ type: 'call', id: 7, service: 'engine', method: 'status', args: null }),
    );
    expect(await reply).toMatchObject({
      type: 'result',
      id: 7,
      value: {
        state: 'unreachable',
        reason: 'socket_missing',
        message: 'No engine socket at /nonexistent/engine.sock.',
      },
    });
    ws.close();
  });

  it('never serves files outside its root', async () => {
    expect((await get(port, '/../../etc/passwd', { Cookie: cookie })).status).toBe(404);
    expect((await get(port, '/%2e%2e/%2e%2e/etc/passwd', { Cookie: cookie })).status).toBe(404);
  });
});
