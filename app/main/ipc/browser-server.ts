// Browser mode: the renderer over HTTP and the contract over a WebSocket, on loopback by default.
// Defences: a random token (from the printed URL, then an HttpOnly cookie), 401 without it; a
// Host header that is not the bound address is refused (DNS rebinding); so is a foreign Origin.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Dispatcher } from './dispatcher';
import { readStaticFile } from './static-files';

export const websocketPath = '/api/ws';
const cookieName = 'berth_token';
const maxMessageBytes = 1024 * 1024;

export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export interface BrowserServerOptions {
  host: string;
  port: number;
  staticDir: string;
  dispatcher: Dispatcher;
  /** Fixed token for tests; random otherwise. */
  token?: string;
}

export interface BrowserServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookieName) return value.join('=');
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const sockets = new Set<Duplex>();
  const clients = new Set<WebSocket>();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  /** Why a request must be refused, or undefined when Host and Origin are ours. */
  const refusal = (req: IncomingMessage, requireOrigin: boolean): string | undefined => {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase()))
      return 'Host header is not the bound address';
    const origin = req.headers.origin;
    if (origin === undefined) return requireOrigin ? 'Origin header required' : undefined;
    return allowedOrigins.has(origin.toLowerCase()) ? undefined : 'foreign Origin';
  };

  const send = (
    res: ServerResponse,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req, false);
    if (refused) return send(res, 403, `Forbidden: ${refused}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      if (!safeEqual(offered, token)) return send(res, 401, 'Unauthorized: wrong token\n');
      // Trade the token in the URL for a cookie, and drop it from the address bar and history.
      url.searchParams.delete('token');
      return send(res, 302, 'Found\n', {
        'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
        'Referrer-Policy': 'no-referrer',
      });
    }
    const cookie = cookieToken(req);
    if (cookie === undefined || !safeEqual(cookie, token)) {
      return send(res, 401, 'Unauthorized: open the URL Berth printed (it carries the token).\n');
    }
    const file = await readStaticFile(options.staticDir, url.pathname);
    if (!file) return send(res, 404, 'Not found\n');
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  const server: Server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, `Internal error: ${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const refused = refusal(req, true);
    if (refused) return reject(403, 'Forbidden');
    const cookie = cookieToken(req);
    if (cookie === undefined || !safeEqual(cookie, token)) return reject(401, 'Unauthorized');
    if (new URL(req.url ?? '/', 'http://placeholder').pathname !== websocketPath)
      return reject(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      const connection = options.dispatcher.connect((message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text frames only');
        let message: unknown;
        try {
          message = JSON.parse(data.toString());
        } catch {
          return ws.close(1007, 'malformed JSON');
        }
        connection.receive(message);
      });
      ws.on('close', () => {
        clients.delete(ws);
        connection.dispose();
      });
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const origin = `http://${hostInUrl}:${port}`;
  allowedHosts = new Set([`${hostInUrl}:${port}`.toLowerCase()]);
  allowedOrigins = new Set([origin.toLowerCase()]);
  if (isLoopback(options.host)) {
    allowedHosts.add(`localhost:${port}`);
    allowedOrigins.add(`http://localhost:${port}`);
  }

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      for (const client of clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
