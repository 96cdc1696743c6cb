// The window factory, navigation policy, menu, tray and notifier, with Electron replaced by fakes.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { commands } from '../../shared/commands';
import type { EngineStatus } from '../../shared/types';
import { contentSecurityPolicy } from '../ipc/browser-server';
import { createMainWindow, secureWebPreferences } from './main-window';
import { buildMenuTemplate } from './menu';
import { isExternalWebLink, isOwnPage, isPublishedPortLink } from './navigation-policy';
import { EngineStateNotifier } from './notifier';
import { buildTrayTemplate, engineStatusLabel } from './tray';

const rendererUrl = 'file:///opt/berth/dist/renderer/index.html';

class FakeWebContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  headersListener:
    | ((
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: unknown) => void,
      ) => void)
    | undefined;
  session = {
    webRequest: {
      onHeadersReceived: (listener: FakeWebContents['headersListener']) =>
        (this.headersListener = listener),
    },
  };
  setWindowOpenHandler(handler: FakeWebContents['openHandler']) {
    this.openHandler = handler;
  }
}

class FakeBrowserWindow extends EventEmitter {
  static created: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  loaded: string | undefined;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  loadURL(url: string) {
    this.loaded = url;
    return Promise.resolve();
  }
  show() {}
}

function openWindow(engineHosts: string[] = []) {
  const shell = { openExternal: vi.fn(() => Promise.resolve()) };
  createMainWindow({
    BrowserWindow: FakeBrowserWindow as never,
    shell,
    preloadPath: '/opt/berth/dist/app/preload.cjs',
    rendererUrl,
    engineHosts: () => engineHosts,
  });
  return { window: FakeBrowserWindow.created.at(-1)!, shell };
}

describe('main window', () => {
  it('is isolated and sandboxed, with no Node in the page', () => {
    const { window } = openWindow();
    expect(window.options.webPreferences).toEqual({
      ...secureWebPreferences,
      preload: '/opt/berth/dist/app/preload.cjs',
    });
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    });
    expect(window.loaded).toBe(rendererUrl);
  });

  it('adds the strict CSP to every response', () => {
    const { window } = openWindow();
    const callback = vi.fn();
    window.webContents.headersListener!({ responseHeaders: { 'X-Other': ['1'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [contentSecurityPolicy] },
    });
  });

  it('blocks navigation away from the app', () => {
    const { window } = openWindow();
    const foreign = { preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', foreign, 'https://evil.example/');
    expect(foreign.preventDefault).toHaveBeenCalled();
    const own = { preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', own, `${rendererUrl}#/images`);
    expect(own.preventDefault).not.toHaveBeenCalled();
  });

  it('denies every window.open and sends published-port links to the system browser', () => {
    const { window, shell } = openWindow(['10.0.0.5']);
    expect(window.webContents.openHandler!({ url: 'http://127.0.0.1:8080/' })).toEqual({
      action: 'deny',
    });
    expect(window.webContents.openHandler!({ url: 'http://10.0.0.5:3000/x' })).toEqual({
      action: 'deny',
    });
    expect(window.webContents.openHandler!({ url: 'https://evil.example:443/' })).toEqual({
      action: 'deny',
    });
    expect(window.webContents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({
      action: 'deny',
    });
    expect(shell.openExternal.mock.calls).toEqual([
      ['http://127.0.0.1:8080/'],
      ['http://10.0.0.5:3000/x'],
    ]);
  });
});

describe('navigation policy', () => {
  it('recognises only the app page itself', () => {
    expect(isOwnPage(`${rendererUrl}?x#/a`, rendererUrl)).toBe(true);
    expect(isOwnPage('file:///etc/passwd', rendererUrl)).toBe(false);
    expect(isOwnPage('nonsense', rendererUrl)).toBe(false);
  });

  it('allows http(s) links with an explicit port on loopback or the engine host', () => {
    expect(isPublishedPortLink('http://localhost:3000/')).toBe(true);
    expect(isPublishedPortLink('http://[::1]:3000/')).toBe(true);
    expect(isPublishedPortLink('http://127.0.0.1/')).toBe(false);
    expect(isPublishedPortLink('http://user:pw@127.0.0.1:80/')).toBe(false);
    expect(isPublishedPortLink('javascript:alert(1)')).toBe(false);
    expect(isPublishedPortLink('http://build:8080/', ['build'])).toBe(true);
  });

  it('opens clicked web links only when they are plain http(s)', () => {
    expect(isExternalWebLink('https://example.org/docs?q=1')).toBe(true);
    expect(isExternalWebLink('http://10.0.0.5:8080/')).toBe(true);
    expect(isExternalWebLink('https://user:secret@example.org/')).toBe(false);
    expect(isExternalWebLink('file:///etc/passwd')).toBe(false);
    expect(isExternalWebLink('javascript:alert(1)')).toBe(false);
    expect(isExternalWebLink('not a url')).toBe(false);
  });
});

describe('menu and tray', () => {
  it('puts every registry command in the menu with its accelerator', () => {
    const run = vi.fn();
    const template = buildMenuTemplate('linux', run);
    const items = template
      .flatMap((menu) => (Array.isArray(menu.submenu) ? menu.submenu : []))
      .flatMap((item) => (Array.isArray(item.submenu) ? item.submenu : [item]));
    for (const command of commands) {
      const item = items.find((entry) => entry.id === command.id);
      expect(item, command.id).toBeDefined();
      expect(item?.accelerator).toBe(command.shortcut);
    }
    items.find((entry) => entry.id === 'container.run')!.click!(
      undefined as never,
      undefined,
      undefined as never,
    );
    expect(run).toHaveBeenCalledWith('container.run');
    expect(buildMenuTemplate('darwin', run)[0]).toEqual({ role: 'appMenu' });
  });

  const connected: EngineStatus = {
    state: 'connected',
    engine: {
      id: 'berthd',
      name: 'Local berthd',
      kind: 'berthd',
      endpoint: 'unix:///run/berth/berthd.sock',
    },
    info: {
      version: '0.1.0',
      apiVersion: '1.43',
      os: 'Debian',
      osType: 'linux',
      arch: 'amd64',
      kernelVersion: '6',
      cpus: 2,
      memoryBytes: 1,
      name: 'h',
      containers: { total: 3, running: 2, paused: 0, stopped: 1 },
      images: 1,
      serverName: 'berthd',
    },
  };
  const unreachable: EngineStatus = {
    state: 'unreachable',
    engine: connected.engine,
    reason: 'permission_denied',
    message: 'Permission denied on /run/berth/berthd.sock.',
    hint: 'Add yourself to the berth group',
  };

  it('shows the engine status and tray commands', () => {
    expect(engineStatusLabel(undefined)).toBe('Engine: checking…');
    expect(engineStatusLabel(connected)).toBe('Local berthd: 0.1.0 · 2 running');
    expect(engineStatusLabel(unreachable)).toContain('unreachable (Permission denied');
    const runCommand = vi.fn();
    const template = buildTrayTemplate(connected, { runCommand, show: vi.fn(), quit: vi.fn() });
    expect(template[0]).toMatchObject({ label: 'Local berthd: 0.1.0 · 2 running', enabled: false });
    const trayCommands = commands.filter((command) => command.tray).map((command) => command.title);
    expect(template.map((item) => item.label)).toEqual(expect.arrayContaining(trayCommands));
  });

  it('notifies when the engine goes away and comes back, not on every refresh', () => {
    const shown: string[] = [];
    const notifier = new EngineStateNotifier({ show: (title) => shown.push(title) });
    notifier.update(connected);
    notifier.update(connected);
    notifier.update(unreachable);
    notifier.update(unreachable);
    notifier.update(connected);
    expect(shown).toEqual(['Local berthd is unreachable', 'Local berthd is back']);
  });
});
