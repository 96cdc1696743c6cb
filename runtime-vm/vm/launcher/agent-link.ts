// The host end of the control channel: parses what the agent says and sends it requests,
// matching each reply to its request by id.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  LineSplitter,
  parseGuestMessage,
  type GuestMessage,
  type HostRequest,
} from '../guest/protocol';

export class AgentRequestError extends Error {
  override readonly name = 'AgentRequestError';
}

type RequestBody = HostRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface AgentLinkEvents {
  message: [GuestMessage];
  closed: [];
  protocolError: [Error];
}

export class AgentLink extends EventEmitter<AgentLinkEvents> {
  private readonly splitter = new LineSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly stream: Duplex) {
    super();
    stream.on('data', (chunk: Buffer | string) => {
      for (const line of this.splitter.push(chunk.toString())) this.handle(line);
    });
    stream.once('close', () => this.shut());
    stream.on('error', () => this.shut());
  }

  request(body: RequestBody, timeoutMs: number): Promise<void> {
    if (this.closed)
      return Promise.reject(new AgentRequestError(`${body.type}: the agent channel is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new AgentRequestError(
            `${body.type}: no reply from the guest agent within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.stream.write(JSON.stringify({ ...body, id }) + '\n');
    });
  }

  close(): void {
    this.stream.destroy();
    this.shut();
  }

  private handle(line: string): void {
    let message: GuestMessage;
    try {
      message = parseGuestMessage(line);
    } catch (error) {
      this.emit('protocolError', error as Error);
      return;
    }
    if (message.type === 'reply') {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve();
      else pending.reject(new AgentRequestError(message.error));
      return;
    }
    this.emit('message', message);
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new AgentRequestError('the agent channel closed before replying'));
    }
    this.pending.clear();
    this.emit('closed');
  }
}
