// Serves the contract's method table to one connection, whatever the transport: validates every
// argument (the renderer is untrusted), runs the call with an AbortSignal, batches progress, and
// maps failures to {code, message, details} in one place (services/errors).
import type { Backpressure, CallOptions, ServiceImplementation } from '../../shared/contract';
import { ServiceError } from '../../shared/errors';
import { isClientMessage, type ServerMessage } from '../../shared/rpc/protocol';
import { contract, type BerthServices, type ServiceName } from '../../shared/services/index';
import { toServiceErrorData } from '../services/errors';

const batchBytes = 16 * 1024;
const batchIntervalMs = 16;
/** The renderer is untrusted: it may not pile up unbounded work in main. */
export const maxCallsInFlight = 256;
/**
 * Bytes of progress one call may have sent that the client has not handled yet before the call
 * counts as congested. Measured on a million-line log in Chromium: 4 MiB queued about two
 * seconds of work in a busy renderer (input waited that long); a few dozen small messages made
 * the load three times slower; 1 MiB keeps both the load time and input latency low.
 */
export const congestionWindowBytes = 1024 * 1024;
/** Congestion clears once the client is this close to caught up. */
export const drainedWindowBytes = 256 * 1024;

/** Tracks a call's progress messages (and their sizes) the client has not acknowledged yet. */
class CallFlow implements Backpressure {
  private readonly sizes: number[] = [];
  private head = 0;
  private unackedBytes = 0;
  private waiters: (() => void)[] = [];

  get congested(): boolean {
    return this.unackedBytes >= congestionWindowBytes;
  }

  sent(bytes: number): void {
    this.sizes.push(bytes);
    this.unackedBytes += bytes;
  }

  acknowledged(count: number): void {
    for (let index = 0; index < count && this.head < this.sizes.length; index++) {
      this.unackedBytes -= this.sizes[this.head++]!;
    }
    // Compact now and then rather than shifting on every ack.
    if (this.head > 1024) {
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
    if (this.unackedBytes <= drainedWindowBytes) this.release();
  }

  drained(): Promise<void> {
    if (this.unackedBytes <= drainedWindowBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes every waiter (caught up, or the call ended and nothing will be acknowledged). */
  release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

export interface Connection {
  /** A message from the client, already JSON-parsed (unknown shape: validated here). */
  receive(message: unknown): void;
  dispose(): void;
}

export interface Dispatcher {
  connect(send: (message: ServerMessage) => void): Connection;
}

class ProgressBatcher {
  private values: unknown[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly id: number,
    private readonly send: (message: ServerMessage) => void,
    private readonly flow: CallFlow,
  ) {}

  push(value: unknown): void {
    this.values.push(value);
    this.bytes += JSON.stringify(value)?.length ?? 0;
    if (this.bytes >= batchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), batchIntervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.values.length === 0) return;
    const values = this.values;
    const bytes = this.bytes;
    this.values = [];
    this.bytes = 0;
    this.flow.sent(bytes);
    this.send(
      values.length === 1
        ? { type: 'progress', id: this.id, value: values[0] }
        : { type: 'progress-batch', id: this.id, values },
    );
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.values = [];
  }
}

export function createDispatcher(services: BerthServices): Dispatcher {
  const table = services as unknown as Record<string, ServiceImplementation>;
  return {
    connect(send) {
      const inFlight = new Map<
        number,
        { controller: AbortController; batcher: ProgressBatcher; flow: CallFlow }
      >();
      let disposed = false;
      const safeSend = (message: ServerMessage) => {
        if (!disposed) send(message);
      };

      const run = async (id: number, service: string, name: string, rawArgs: unknown) => {
        const spec = Object.hasOwn(contract, service)
          ? (contract[service as ServiceName] as Record<
              string,
              { args: { parse(v: unknown): unknown } }
            >)
          : undefined;
        const implementation = table[service];
        if (!spec || !Object.hasOwn(spec, name) || !implementation?.[name]) {
          throw new ServiceError('unknown_method', `unknown method ${service}.${name}`);
        }
        const args = spec[name]!.args.parse(rawArgs);
        const controller = new AbortController();
        const flow = new CallFlow();
        const batcher = new ProgressBatcher(id, safeSend, flow);
        inFlight.set(id, { controller, batcher, flow });
        try {
          const options: CallOptions<unknown> = {
            signal: controller.signal,
            onProgress: (value) => batcher.push(value),
            backpressure: flow,
          };
          const value = await implementation[name]!.call(implementation, args, options);
          batcher.flush();
          return value;
        } finally {
          batcher.flush();
          batcher.dispose();
          flow.release();
          inFlight.delete(id);
        }
      };

      return {
        receive(message) {
          if (disposed) return;
          if (!isClientMessage(message)) {
            // Without a usable id there is no one to answer; drop it.
            return;
          }
          if (message.type === 'cancel') {
            inFlight.get(message.id)?.controller.abort();
            return;
          }
          if (message.type === 'ack') {
            inFlight.get(message.id)?.flow.acknowledged(message.count);
            return;
          }
          if (inFlight.has(message.id)) return;
          if (inFlight.size >= maxCallsInFlight) {
            safeSend({
              type: 'error',
              id: message.id,
              error: {
                code: 'invalid_argument',
                message: `too many calls in flight (limit ${maxCallsInFlight})`,
              },
            });
            return;
          }
          run(message.id, message.service, message.method, message.args).then(
            (value) => safeSend({ type: 'result', id: message.id, value: value ?? null }),
            (error: unknown) =>
              safeSend({ type: 'error', id: message.id, error: toServiceErrorData(error) }),
          );
        },
        dispose() {
          disposed = true;
          for (const { controller, batcher, flow } of inFlight.values()) {
            batcher.dispose();
            controller.abort();
            flow.release();
          }
          inFlight.clear();
        },
      };
    },
  };
}
