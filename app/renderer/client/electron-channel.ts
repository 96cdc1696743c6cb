// The Electron transport: the preload hands us a MessagePort (via window.postMessage, since
// contextIsolation keeps the preload's world separate); messages are structured clones.
import type { ClientChannel, ClientMessage, ServerMessage } from '../../shared/rpc/protocol';

/** What the preload exposes on window (a dumb pipe: nothing per method). */
export interface BerthBridge {
  transport: 'electron';
  platform: string;
  requestPort(): void;
  openExternal(url: string): void;
  /** A desktop notification (main shows it only while the window is not focused). */
  notify(title: string, body: string): void;
  onCommand(listener: (commandId: string) => void): () => void;
}

export const portMessage = 'berth:port';

export function bridge(): BerthBridge | undefined {
  return (window as unknown as { berthBridge?: BerthBridge }).berthBridge;
}

export function openElectronChannel(bridgeApi: BerthBridge): Promise<ClientChannel> {
  return new Promise((resolve) => {
    const onWindowMessage = (event: MessageEvent) => {
      if (event.source !== window || event.data !== portMessage || !event.ports[0]) return;
      window.removeEventListener('message', onWindowMessage);
      const port = event.ports[0];
      const messageListeners = new Set<(message: ServerMessage) => void>();
      const closeListeners = new Set<(reason: string) => void>();
      port.onmessage = (message: MessageEvent<ServerMessage>) => {
        for (const listener of messageListeners) listener(message.data);
      };
      port.addEventListener('close', () => {
        for (const listener of [...closeListeners]) listener('main process closed the port');
      });
      port.start();
      resolve({
        send: (message: ClientMessage) => port.postMessage(message),
        onMessage(listener) {
          messageListeners.add(listener);
          return () => messageListeners.delete(listener);
        },
        onClose(listener) {
          closeListeners.add(listener);
          return () => closeListeners.delete(listener);
        },
      });
    };
    window.addEventListener('message', onWindowMessage);
    bridgeApi.requestPort();
  });
}
