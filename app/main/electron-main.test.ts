// electron-main's wiring with the electron module mocked: secure window, menu, tray fed by the
// engine's status, the MessagePort transport, and a clean shutdown.
import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeEngine, type FakeEngine } from './test-support/fake-engine';
import { FakeSender } from './test-support/fake-electron';
import { channels } from './ipc/electron-channels';

const fake = vi.hoisted(() => ({
  appHandlers: new Map<string, ((...args: unknown[]) => void)[]>(),
  windows: [] as {
    options: Record<string, unknown>;
    loaded?: string;
    webContents: { send: (...args: unknown[]) => void };
  }[],
  menus: [] as unknown[],
  trayMenus: [] as { label?: string }[][],
  ipcMain: undefined as unknown as import('node:events').EventEmitter,
  userData: '',
  quitCalls: 0,
  notifications: [] as { title: string; body: string }[],
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { fakeChannel: channel } = await import('./test-support/fake-electron');
  fake.ipcMain = new Emitter();
  const on = (event: string, handler: (...args: unknown[]) => void) => {
    fake.appHandlers.set(event, [...(fake.appHandlers.get(event) ?? []), handler]);
  };
  class BrowserWindow extends Emitter {
    webContents: EventEmitter & Record<string, unknown>;
    loaded: string | undefined;
    constructor(readonly options: Record<string, unknown>) {
      super();
      const contents = new Emitter() as EventEmitter & Record<string, unknown>;
      contents.session = { webRequest: { onHeadersReceived: () => undefined } };
      contents.setWindowOpenHandler = () => undefined;
      contents.send = (...args: unknown[]) => sent.push(args);
      this.webContents = contents;
      fake.windows.push(this as never);
    }
    loadURL(url: string) {
      this.loaded = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isFocused() {
      return false;
    }
    show() {}
    focus() {}
  }
  const sent: unknown[][] = [];
  class Tray {
    setToolTip() {}
    setContextMenu(menu: { label?: string }[]) {
      fake.trayMenus.push(menu);
    }
    destroy() {}
  }
  class Notification {
    constructor(readonly options: { title: string; body: string }) {}
    static isSupported() {
      return true;
    }
    show() {
      fake.notifications.push(this.options);
    }
  }
  class MessageChannelMain {
    port1;
    port2;
    constructor() {
      const pair = channel();
      this.port1 = pair.port1;
      this.port2 = pair.port2;
    }
  }
  return {
    app: {
      isPackaged: false,
      getPath: () => fake.userData,
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      on,
      once: on,
      quit: () => fake.quitCalls++,
      exit: () => undefined,
    },
    BrowserWindow,
    ipcMain: fake.ipcMain,
    Menu: {
      buildFromTemplate: (template: unknown) => template,
      setApplicationMenu: (menu: unknown) => fake.menus.push(menu),
    },
    MessageChannelMain,
    nativeImage: { createFromPath: () => ({}) },
    Notification,
    shell: { openExternal: () => Promise.resolve() },
    Tray,
  };
});

let engine: FakeEngine;
const originalArgv = process.argv;

beforeAll(async () => {
  engine = await startFakeEngine();
  fake.userData = mkdtempSync(join(tmpdir(), 'berth-electron-'));
  process.argv = ['electron', 'electron-main.cjs', '--engine', engine.endpoint];
  await import('./electron-main');
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
});

afterAll(async () => {
  process.argv = originalArgv;
  await engine.close();
  rmSync(fake.userData, { recursive: true, force: true });
});

describe('electron-main', () => {
  it('opens one secure window on the built renderer', () => {
    const [window] = fake.windows;
    expect(window!.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(String((window!.options.webPreferences as { preload: string }).preload)).toMatch(
      /preload\.cjs$/,
    );
    expect((window as unknown as { loaded: string }).loaded).toMatch(
      /^file:\/\/.*\/renderer\/index\.html$/,
    );
  });

  it('sets the application menu from the command registry', () => {
    expect(fake.menus).toHaveLength(1);
    expect(JSON.stringify(fake.menus[0])).toContain('"id":"view.palette"');
  });

  it('shows the engine status in the tray once the engine answers', async () => {
    await vi.waitFor(
      () =>
        expect(fake.trayMenus.at(-1)?.[0]?.label).toBe(
          'Command line engine: 24.0.0-fake · 0 running',
        ),
      { timeout: 5000 },
    );
  });

  it('serves the contract over a MessagePort to its own page only', async () => {
    const window = fake.windows[0] as unknown as { loaded: string };
    const sender = new FakeSender();
    fake.ipcMain.emit(channels.requestPort, { senderFrame: { url: window.loaded }, sender });
    expect(sender.posted[0]?.channel).toBe(channels.port);
    const stranger = new FakeSender();
    fake.ipcMain.emit(channels.requestPort, {
      senderFrame: { url: 'https://evil.example/' },
      sender: stranger,
    });
    expect(stranger.posted).toEqual([]);
  });

  it('shows notifications the page asks for, and none from other pages', () => {
    const window = fake.windows[0] as unknown as { loaded: string };
    fake.ipcMain.emit(
      channels.notify,
      { senderFrame: { url: window.loaded } },
      'Berth',
      'Pulled busybox',
    );
    fake.ipcMain.emit(
      channels.notify,
      { senderFrame: { url: 'https://evil.example/' } },
      'Phish',
      'x',
    );
    fake.ipcMain.emit(
      channels.notify,
      { senderFrame: { url: window.loaded } },
      { not: 'text' },
      'x',
    );
    expect(fake.notifications).toEqual([{ title: 'Berth', body: 'Pulled busybox' }]);
  });

  it('stops following engine events on quit', async () => {
    await vi.waitFor(() => expect(engine.openEventStreams()).toBe(1));
    for (const handler of fake.appHandlers.get('will-quit') ?? []) handler();
    await vi.waitFor(() => expect(engine.openEventStreams()).toBe(0));
  });
});
