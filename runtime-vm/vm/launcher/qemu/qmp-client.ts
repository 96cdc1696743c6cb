// A minimal QMP (QEMU Machine Protocol) client: JSON lines over QEMU's monitor socket. Used for
// port forwards (hostfwd_add through human-monitor-command), the accelerator query and `quit`.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from '../../guest/protocol';

export class QmpError extends Error {
  override readonly name = 'QmpError';
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class QmpClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly splitter = new LineSplitter();
  private greeted: Promise<void>;
  private onGreeting: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    this.greeted = new Promise((resolve) => {
      this.onGreeting = resolve;
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const line of this.splitter.push(chunk)) this.handle(line);
    });
    socket.on('close', () => this.failAll(new QmpError('QMP connection closed')));
    socket.on('error', (error) => this.failAll(new QmpError(`QMP: ${error.message}`)));
  }

  /** Connects (retrying while QEMU creates the socket) and negotiates capabilities. */
  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.greeted;
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        if (Date.now() > deadline)
          throw new QmpError(`cannot reach QEMU's monitor at ${path}: ${(error as Error).message}`);
        await sleep(20);
      }
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ execute: command, arguments: args, id }) + '\n');
    });
  }

  /**
   * Runs a human monitor command. QEMU answers errors as text, so output is an error unless it
   * matches `success` (hostfwd_remove, for one, confirms in words).
   */
  async humanCommand(commandLine: string, success?: RegExp): Promise<void> {
    const output = await this.execute('human-monitor-command', { 'command-line': commandLine });
    const text = typeof output === 'string' ? output.trim() : '';
    if (text !== '' && !success?.test(text)) throw new QmpError(`${commandLine}: ${text}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private handle(line: string): void {
    let message: { QMP?: unknown; id?: number; return?: unknown; error?: { desc?: string } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.QMP !== undefined) {
      this.onGreeting?.();
      return;
    }
    if (typeof message.id !== 'number') return; // an asynchronous event
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error) pending.reject(new QmpError(message.error.desc ?? 'QMP error'));
    else pending.resolve(message.return);
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
