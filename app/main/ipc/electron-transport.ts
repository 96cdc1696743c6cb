// The Electron transport: each renderer asks for a MessagePort; main answers with one end of a
// MessageChannelMain whose other end it serves with the dispatcher. Only our own page may ask.
import type {
  IpcMain,
  IpcMainEvent,
  MessageChannelMain as MessageChannelMainType,
  MessagePortMain,
} from 'electron';
import type { Dispatcher } from './dispatcher';
import { channels } from './electron-channels';

export interface ElectronTransportDeps {
  ipcMain: Pick<IpcMain, 'on' | 'removeListener'>;
  createChannel: () => Pick<MessageChannelMainType, 'port1' | 'port2'>;
  dispatcher: Dispatcher;
  /** Whether a sender frame URL is the app's own renderer. */
  isTrustedSender: (url: string) => boolean;
}

export function serveOverElectron(deps: ElectronTransportDeps): () => void {
  const open = new Set<{ port: MessagePortMain; dispose(): void }>();

  const onRequestPort = (event: IpcMainEvent) => {
    const url = event.senderFrame?.url ?? '';
    if (!deps.isTrustedSender(url)) return;
    const { port1, port2 } = deps.createChannel();
    const connection = deps.dispatcher.connect((message) => port1.postMessage(message));
    const entry = {
      port: port1,
      dispose: () => {
        connection.dispose();
        port1.close();
        open.delete(entry);
      },
    };
    open.add(entry);
    port1.on('message', (message) => connection.receive(message.data));
    port1.on('close', () => entry.dispose());
    port1.start();
    event.sender.once('destroyed', () => entry.dispose());
    event.sender.postMessage(channels.port, null, [port2]);
  };

  deps.ipcMain.on(channels.requestPort, onRequestPort);
  return () => {
    deps.ipcMain.removeListener(channels.requestPort, onRequestPort);
    for (const entry of [...open]) entry.dispose();
  };
}
