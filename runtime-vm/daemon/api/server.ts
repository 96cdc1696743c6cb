// The Engine API HTTP server: version prefixes, route matching, abort-on-hang-up, error mapping
// and draining on shutdown. Listeners (unix, tcp+TLS) are attached by the daemon.
import { createServer as createHttpServer, ServerResponse } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage, InvalidArgumentError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { statusForError, writeError } from './error-mapping';
import type { RequestContext, Route } from './route';
import { isUpgraded, readUpgradeBody } from './hijack';
import { RouteTable } from './router';
import { maxApiVersion, splitVersion } from './version';

/** Go's http server accepts 1 MiB of headers; dockerode's query strings need far more than 16 KiB. */
export const maxHeaderSize = 1024 * 1024;
const maxJsonBody = 64 * 1024 * 1024;

export interface ApiServerOptions {
  routes: readonly Route[];
  logger: Logger;
  /** Value of the `Server` header, e.g. `Berth/0.1.0 (linux)`. */
  serverHeader: string;
}

export interface ApiServer {
  /** The handler, to attach to any number of net/tls listeners. */
  readonly http: Server;
  /** Stops taking requests, waits up to graceMs for in-flight ones, then aborts the rest. */
  drain(graceMs: number): Promise<void>;
  readonly inFlight: number;
}

interface InFlight {
  abort: AbortController;
  done: Promise<void>;
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  const table = new RouteTable(options.routes);
  const log = options.logger;
  const active = new Set<InFlight>();
  const http = createHttpServer({ maxHeaderSize, requestTimeout: 0, headersTimeout: 60_000 });
  http.keepAliveTimeout = 5_000;

  const dispatch = async (
    req: IncomingMessage,
    res: ServerResponse,
    abort: AbortController,
    upgrade: boolean,
  ) => {
    res.setHeader('Api-Version', maxApiVersion);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', options.serverHeader);
    const url = new URL(req.url ?? '/', 'http://berthd');
    const method = req.method ?? 'GET';
    try {
      const { apiVersion, path } = splitVersion(url.pathname);
      const match = table.match(method, path);
      if (!match) {
        throw new NotFoundError(
          table.hasPath(path) ? `${method} ${path} is not supported` : 'page not found',
        );
      }
      let bodyPromise: Promise<unknown> | undefined;
      const ctx: RequestContext = {
        req,
        res,
        params: match.params,
        query: url.searchParams,
        apiVersion,
        signal: abort.signal,
        json: <T>() => {
          bodyPromise ??= upgrade
            ? readUpgradeBody(req, req.socket).then(parseJsonText)
            : readJsonBody(req);
          return bodyPromise as Promise<T>;
        },
      };
      await match.route.handler(ctx);
    } catch (error) {
      if (abort.signal.aborted && res.destroyed) return;
      // Client mistakes are routine; a 5xx is our bug or our dependency's, worth an error line.
      const fields = { method, url: req.url, error: errorMessage(error), inBand: res.headersSent };
      if (statusForError(error) >= 500) {
        log.error('request failed', { ...fields, stack: (error as Error)?.stack });
      } else {
        log.debug('request failed', fields);
      }
      writeError(res, error);
    }
  };

  const track = (
    req: IncomingMessage,
    res: ServerResponse,
    upgrade: boolean,
    onSettled?: () => void,
  ) => {
    const abort = new AbortController();
    // The client hung up before we finished: cancel whatever the handler is doing.
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    };
    res.on('close', onClose);
    req.socket.on('close', onClose);
    const started = Date.now();
    res.once('finish', () => {
      log.debug('request', {
        method: req.method,
        url: req.url,
        status: res.statusCode,
        ms: Date.now() - started,
      });
    });
    const entry: InFlight = { abort, done: Promise.resolve() };
    entry.done = dispatch(req, res, abort, upgrade).finally(() => {
      active.delete(entry);
      res.off('close', onClose);
      req.socket.off('close', onClose);
      onSettled?.();
    });
    active.add(entry);
  };

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    track(req, res, false);
  });

  // Attach/exec hijacks arrive here. The handler sees the same context; `head` is put back on the
  // socket so hijack.ts reads the request body and stdin from one ordered byte stream.
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (head.length > 0) socket.unshift(head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    track(req, res, true, () => {
      if (!isUpgraded(socket) && !socket.destroyed) {
        if (res.writableEnded) socket.end();
        else socket.destroy();
      }
    });
  });

  http.on('clientError', (error: Error, socket: Duplex) => {
    if (socket.writable) {
      const tooLarge = (error as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW';
      socket.end(
        tooLarge
          ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
      );
    } else {
      socket.destroy();
    }
  });

  return {
    http,
    get inFlight() {
      return active.size;
    },
    async drain(graceMs: number) {
      http.close();
      http.closeIdleConnections();
      const all = Promise.all([...active].map((entry) => entry.done));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const outcome = await Promise.race([all.then(() => 'drained' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn('aborting requests still running at shutdown', { count: active.size });
        for (const entry of active) entry.abort.abort(new Error('daemon shutting down'));
        await Promise.race([
          Promise.all([...active].map((entry) => entry.done)),
          new Promise((resolve) => setTimeout(resolve, 1000).unref()),
        ]);
      }
      http.closeAllConnections();
    },
  };
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxJsonBody) throw new InvalidArgumentError('request body is too large');
    chunks.push(buffer);
  }
  return parseJsonText(Buffer.concat(chunks));
}

function parseJsonText(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`invalid JSON body: ${errorMessage(error)}`);
  }
}
