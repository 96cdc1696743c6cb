// Client channels for tests: in-process (messages cloned as they would be on a wire) and over
// the real browser-mode WebSocket server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { ClientChannel, ClientMessage, ServerMessage } from '../../shared/rpc/protocol';
import type { BerthServices } from '../../shared/services/index';
import { startBrowserServer, websocketPath, type BrowserServer } from '../ipc/browser-server';
import { createDispatcher } from '../ipc/dispatcher';

export interface TestTransport {
  channel: ClientChannel;
  close(): Promise<void>;
}

export function inProcessTransport(services: BerthServices): TestTransport {
  const messageListeners = new Set<(message: ServerMessage) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  const connection = createDispatcher(services).connect((message) => {
    const copy = JSON.parse(JSON.stringify(message)) as ServerMessage;
    queueMicrotask(() => {
      for (const listener of messageListeners) listener(copy);
    });
  });
  return {
    channel: {
      send: (message: ClientMessage) => connection.receive(JSON.parse(JSON.stringify(message))),
      onMessage(listener) {
        messageListeners.add(listener);
        return () => messageListeners.delete(listener);
      },
      onClose(listener) {
        closeListeners.add(listener);
        return () => closeListeners.delete(listener);
      },
    },
    close: async () => {
      connection.dispose();
      for (const listener of closeListeners) listener('closed by test');
    },
  };
}

export interface StaticServer {
  server: BrowserServer;
  staticDir: string;
  close(): Promise<void>;
}

export async function startTestBrowserServer(services: BerthServices): Promise<StaticServer> {
  const staticDir = mkdtempSync(join(tmpdir(), 'berth-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Berth test</title>');
  const server = await startBrowserServer({
    host: '127.0.0.1',
    port: 0,
    staticDir,
    dispatcher: createDispatcher(services),
  });
  return {
    server,
    staticDir,
    close: async () => {
      await server.close();
      rmSync(staticDir, { recursive: true, force: true });
    },
  };
}

export function openTestWebSocket(
  server: BrowserServer,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${websocketPath}`, {
    headers: { Origin: server.origin, Cookie: `berth_token=${server.token}`, ...headers },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export async function websocketTransport(services: BerthServices): Promise<TestTransport> {
  const http = await startTestBrowserServer(services);
  const ws = await openTestWebSocket(http.server);
  const closeListeners = new Set<(reason: string) => void>();
  ws.on('close', () => {
    for (const listener of closeListeners) listener('socket closed');
  });
  return {
    channel: {
      send: (message) => ws.send(JSON.stringify(message)),
      onMessage(listener) {
        const forward = (data: WebSocket.RawData) =>
          listener(JSON.parse(data.toString()) as ServerMessage);
        ws.on('message', forward);
        return () => ws.off('message', forward);
      },
      onClose(listener) {
        closeListeners.add(listener);
        return () => closeListeners.delete(listener);
      },
    },
    close: async () => {
      ws.close();
      await http.close();
    },
  };
}
