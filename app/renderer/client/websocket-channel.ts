// The browser-mode transport: one WebSocket to /api/ws on the page's own origin (the HttpOnly
// cookie set from the printed URL authenticates it).
import type { ClientChannel, ClientMessage, ServerMessage } from '../../shared/rpc/protocol';

export function websocketUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/ws`;
}

export function openWebSocketChannel(url: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messageListeners = new Set<(message: ServerMessage) => void>();
    const closeListeners = new Set<(reason: string) => void>();
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      resolve({
        send: (message: ClientMessage) => socket.send(JSON.stringify(message)),
        onMessage(listener) {
          messageListeners.add(listener);
          return () => messageListeners.delete(listener);
        },
        onClose(listener) {
          closeListeners.add(listener);
          return () => closeListeners.delete(listener);
        },
      });
    });
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as ServerMessage;
      for (const listener of messageListeners) listener(message);
    });
    socket.addEventListener('close', (event) => {
      if (!opened) reject(new Error(`WebSocket refused (${event.code || 'no code'})`));
      const reason = event.reason || `WebSocket closed (${event.code})`;
      for (const listener of [...closeListeners]) listener(reason);
    });
  });
}
