// The one BrowserWindow factory: isolated, sandboxed, no Node in the page, a strict CSP, and no
// navigation away from the app. Published-port links go to the system browser.
import type {
  BrowserWindow as BrowserWindowType,
  BrowserWindowConstructorOptions,
  Shell,
} from 'electron';
import { contentSecurityPolicy } from '../ipc/browser-server';
import { isOwnPage, isPublishedPortLink } from './navigation-policy';

export interface MainWindowDeps {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindowType;
  shell: Pick<Shell, 'openExternal'>;
  preloadPath: string;
  /** file:///…/dist/renderer/index.html */
  rendererUrl: string;
  iconPath?: string;
  engineHosts: () => string[];
}

export const secureWebPreferences = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;

export function createMainWindow(deps: MainWindowDeps): BrowserWindowType {
  const window = new deps.BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Berth Desktop',
    ...(deps.iconPath ? { icon: deps.iconPath } : {}),
    webPreferences: { ...secureWebPreferences, preload: deps.preloadPath },
  });
  const { webContents } = window;

  webContents.session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [contentSecurityPolicy],
      },
    });
  });
  webContents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url, deps.rendererUrl)) event.preventDefault();
  });
  webContents.on('will-redirect', (event, url) => {
    if (!isOwnPage(url, deps.rendererUrl)) event.preventDefault();
  });
  webContents.setWindowOpenHandler(({ url }) => {
    if (isPublishedPortLink(url, deps.engineHosts())) void deps.shell.openExternal(url);
    return { action: 'deny' };
  });
  webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadURL(deps.rendererUrl);
  return window;
}
