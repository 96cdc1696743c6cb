// The preload is a dumb pipe: it asks main for a MessagePort and hands it to the page, and
// forwards menu/tray commands. Nothing here knows about any service or method.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channels } from '../ipc/electron-channels';

contextBridge.exposeInMainWorld('berthBridge', {
  transport: 'electron',
  platform: process.platform,
  requestPort: () => ipcRenderer.send(channels.requestPort),
  openExternal: (url: string) => ipcRenderer.send(channels.openExternal, String(url)),
  notify: (title: string, body: string) =>
    ipcRenderer.send(channels.notify, String(title), String(body)),
  onCommand: (listener: (commandId: string) => void) => {
    const forward = (_event: IpcRendererEvent, commandId: unknown) => {
      if (typeof commandId === 'string') listener(commandId);
    };
    ipcRenderer.on(channels.command, forward);
    return () => ipcRenderer.removeListener(channels.command, forward);
  },
});

// contextIsolation keeps this world apart from the page's: transfer the port with postMessage.
ipcRenderer.on(channels.port, (event: IpcRendererEvent) => {
  window.postMessage(channels.portMessage, '*', event.ports);
});
