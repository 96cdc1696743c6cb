// Electron entry: one services runtime, served to the window over MessagePorts; menu, tray and
// notifications built from the shared command registry and main's engine status.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  MessageChannelMain,
  nativeImage,
  Notification,
  shell,
  Tray,
} from 'electron';
import type { CommandId } from '../shared/commands';
import type { EngineStatus } from '../shared/types';
import { parseBrowserArgs } from './cli-args';
import { watchEngineStatus } from './engine/status-watcher';
import { createDispatcher } from './ipc/dispatcher';
import { channels } from './ipc/electron-channels';
import { serveOverElectron } from './ipc/electron-transport';
import { createServices } from './services/index';
import { createMainWindow } from './windows/main-window';
import { buildMenuTemplate } from './windows/menu';
import { isExternalWebLink, isOwnPage, isPublishedPortLink } from './windows/navigation-policy';
import { EngineStateNotifier } from './windows/notifier';
import { buildTrayTemplate } from './windows/tray';

// dist/app/electron-main.cjs → dist/renderer, assets/ beside dist/
const rendererUrl = pathToFileURL(join(__dirname, '..', 'renderer', 'index.html')).href;
const preloadPath = join(__dirname, 'preload.cjs');
const assetsDir = join(__dirname, '..', '..', 'assets');
const iconPath = join(assetsDir, 'icon.png');
// macOS wants a monochrome "template" image for the menu bar; elsewhere a small glyph.
const trayIconPath = join(
  assetsDir,
  process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png',
);

function engineHostsOf(endpoint: string): string[] {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'tcp:' || url.protocol === 'ssh:' ? [url.hostname] : [];
  } catch {
    return [];
  }
}

async function start(): Promise<void> {
  const args = parseBrowserArgs(process.argv.slice(app.isPackaged ? 1 : 2));
  const configDir =
    args.configDir ?? join(app.getPath('userData') || join(homedir(), '.config', 'berth-desktop'));
  const { services, engines } = createServices({ configDir, cliEngine: args.engine });
  const dispatcher = createDispatcher(services);
  const stopTransport = serveOverElectron({
    ipcMain,
    createChannel: () => new MessageChannelMain(),
    dispatcher,
    isTrustedSender: (url) => isOwnPage(url, rendererUrl),
  });

  let window: BrowserWindow | undefined;
  const showWindow = () => {
    if (!window || window.isDestroyed()) {
      window = createMainWindow({
        BrowserWindow,
        shell,
        preloadPath,
        rendererUrl,
        iconPath,
        engineHosts: () => engineHostsOf(engines.activeEngine().endpoint),
      });
    } else {
      window.show();
      window.focus();
    }
    return window;
  };
  const runCommand = (id: CommandId) => showWindow().webContents.send(channels.command, id);

  ipcMain.on(channels.openExternal, (event, url: unknown) => {
    if (!isOwnPage(event.senderFrame?.url ?? '', rendererUrl) || typeof url !== 'string') return;
    // Published-port links and http(s) links the user clicked (terminal output).
    if (
      isPublishedPortLink(url, engineHostsOf(engines.activeEngine().endpoint)) ||
      isExternalWebLink(url)
    )
      void shell.openExternal(url);
  });

  ipcMain.on(channels.notify, (event, title: unknown, body: unknown) => {
    if (!isOwnPage(event.senderFrame?.url ?? '', rendererUrl)) return;
    if (typeof title !== 'string' || typeof body !== 'string') return;
    if (window?.isFocused() || !Notification.isSupported()) return;
    new Notification({ title: title.slice(0, 120), body: body.slice(0, 500) }).show();
  });

  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(process.platform, runCommand)));

  const tray = new Tray(nativeImage.createFromPath(trayIconPath));
  tray.setToolTip('Berth Desktop');
  let lastStatus: EngineStatus | undefined;
  const renderTray = () =>
    tray.setContextMenu(
      Menu.buildFromTemplate(
        buildTrayTemplate(lastStatus, {
          runCommand,
          show: () => void showWindow(),
          quit: () => app.quit(),
        }),
      ),
    );
  renderTray();
  const notifier = new EngineStateNotifier({
    show: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
  });
  const stopWatching = watchEngineStatus(services, (status) => {
    lastStatus = status;
    notifier.update(status);
    renderTray();
  });

  showWindow();
  app.on('activate', () => void showWindow());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.once('will-quit', () => {
    stopWatching();
    stopTransport();
    tray.destroy();
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => {
    // Belt and braces: no window may open another, whatever created it.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(`berth-desktop: ${(error as Error).message}`);
    app.exit(1);
  });
}
