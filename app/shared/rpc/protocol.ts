// Wire messages shared by every transport (MessagePort, WebSocket, in-process).
import type { ServiceErrorData } from '../errors';

export type ClientMessage =
  | { type: 'call'; id: number; service: string; method: string; args: unknown }
  | { type: 'cancel'; id: number }
  /** Flow control: the client has handled `count` more progress messages of call `id`. */
  | { type: 'ack'; id: number; count: number };

export type ServerMessage =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ServiceErrorData }
  | { type: 'progress'; id: number; value: unknown }
  /** Progress messages batched by the server (one per animation frame or 16 KiB). */
  | { type: 'progress-batch'; id: number; values: unknown[] };

/** One connection as the client sees it. */
export interface ClientChannel {
  send(message: ClientMessage): void;
  onMessage(listener: (message: ServerMessage) => void): () => void;
  /** Fires once when the connection is gone; pending calls then fail with 'transport_closed'. */
  onClose(listener: (reason: string) => void): () => void;
}

export function isClientMessage(value: unknown): value is ClientMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  if (typeof message.id !== 'number' || !Number.isSafeInteger(message.id)) return false;
  if (message.type === 'cancel') return true;
  if (message.type === 'ack') {
    return typeof message.count === 'number' && Number.isSafeInteger(message.count);
  }
  return (
    message.type === 'call' &&
    typeof message.service === 'string' &&
    typeof message.method === 'string'
  );
}
