// The renderer's only door to main: picks the transport it finds (Electron preload bridge, else
// the browser-mode WebSocket), keeps it open with backoff, and exposes typed service proxies.
import type { CallOptions } from '../../shared/contract';
import { ServiceError } from '../../shared/errors';
import { createRpcClient, type RpcClient } from '../../shared/rpc/client';
import type { ClientChannel } from '../../shared/rpc/protocol';
import { contract, type BerthServices, type ServiceName } from '../../shared/services/index';
import { bridge, openElectronChannel } from './electron-channel';
import { openWebSocketChannel, websocketUrl } from './websocket-channel';

export type ConnectionState = 'connecting' | 'open' | 'closed';

const listeners = new Set<(state: ConnectionState, detail: string) => void>();
let client: RpcClient | undefined;
let state: ConnectionState = 'connecting';
let attempt = 0;
let started = false;

function setState(next: ConnectionState, detail = ''): void {
  state = next;
  for (const listener of [...listeners]) listener(next, detail);
}

function openChannel(): Promise<ClientChannel> {
  const electron = bridge();
  return electron
    ? openElectronChannel(electron)
    : openWebSocketChannel(websocketUrl(window.location));
}

async function connect(): Promise<void> {
  setState('connecting');
  try {
    const channel = await openChannel();
    attempt = 0;
    client = createRpcClient(channel);
    channel.onClose((reason) => {
      client = undefined;
      setState('closed', reason);
      scheduleReconnect();
    });
    setState('open');
  } catch (error) {
    setState('closed', (error as Error).message);
    scheduleReconnect();
  }
}

function scheduleReconnect(): void {
  const delay = Math.min(30_000, 500 * 2 ** attempt++);
  setTimeout(() => void connect(), delay);
}

export function startConnection(): void {
  if (started) return;
  started = true;
  void connect();
}

export function connectionState(): ConnectionState {
  return state;
}

export function onConnectionState(
  listener: (state: ConnectionState, detail: string) => void,
): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function call(service: string, method: string, args: unknown, options?: CallOptions<unknown>) {
  if (!client)
    return Promise.reject(new ServiceError('transport_closed', 'not connected to Berth'));
  return client.call(service, method, args, options);
}

/** Typed proxies that always go through the current connection. */
export const api = Object.fromEntries(
  (Object.keys(contract) as ServiceName[]).map((service) => [
    service,
    Object.fromEntries(
      Object.keys(contract[service]).map((name) => [
        name,
        (args: unknown, options?: CallOptions<unknown>) => call(service, name, args, options),
      ]),
    ),
  ]),
) as unknown as BerthServices;
