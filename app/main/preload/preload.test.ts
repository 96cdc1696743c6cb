// The preload is a dumb pipe: it exposes generic functions only and forwards the port.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { channels } from '../ipc/electron-channels';

const electron = vi.hoisted(() => {
  const listeners = new Map<string, (...args: unknown[]) => void>();
  return {
    exposed: {} as Record<string, unknown>,
    listeners,
    sent: [] as unknown[][],
    removed: [] as string[],
  };
});

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (name: string, api: unknown) => {
      electron.exposed[name] = api;
    },
  },
  ipcRenderer: {
    send: (...args: unknown[]) => electron.sent.push(args),
    on: (channel: string, listener: (...args: unknown[]) => void) =>
      electron.listeners.set(channel, listener),
    removeListener: (channel: string) => electron.removed.push(channel),
  },
}));

const posted: unknown[][] = [];

beforeAll(async () => {
  vi.stubGlobal('window', { postMessage: (...args: unknown[]) => posted.push(args) });
  await import('./preload');
});
afterAll(() => {
  vi.unstubAllGlobals();
});

interface Bridge {
  transport: string;
  requestPort(): void;
  openExternal(url: unknown): void;
  onCommand(listener: (id: string) => void): () => void;
}

describe('preload', () => {
  it('exposes one generic bridge and nothing per service', () => {
    const bridge = electron.exposed.berthBridge as Bridge;
    expect(Object.keys(electron.exposed)).toEqual(['berthBridge']);
    expect(Object.keys(bridge).sort()).toEqual([
      'notify',
      'onCommand',
      'openExternal',
      'platform',
      'requestPort',
      'transport',
    ]);
    bridge.requestPort();
    bridge.openExternal({ toString: () => 'http://127.0.0.1:8080/' });
    expect(electron.sent).toEqual([
      [channels.requestPort],
      [channels.openExternal, 'http://127.0.0.1:8080/'],
    ]);
  });

  it('passes the MessagePort from main to the page', () => {
    const port = { fake: 'port' };
    electron.listeners.get(channels.port)!({ ports: [port] });
    expect(posted).toEqual([[channels.portMessage, '*', [port]]]);
  });

  it('forwards menu commands as strings only, and can stop', () => {
    const bridge = electron.exposed.berthBridge as Bridge;
    const seen: string[] = [];
    const stop = bridge.onCommand((id) => seen.push(id));
    const forward = electron.listeners.get(channels.command)!;
    forward({}, 'go.images');
    forward({}, { evil: true });
    expect(seen).toEqual(['go.images']);
    stop();
    expect(electron.removed).toEqual([channels.command]);
  });
});
