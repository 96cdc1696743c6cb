// The client half of the contract: typed proxies over any ClientChannel. The renderer uses it
// with its WebSocket or MessagePort channel; tests use it over an in-process channel.
import type { CallOptions } from '../contract';
import { isServiceErrorData, ServiceError } from '../errors';
import { contract, type BerthServices, type ServiceName } from '../services/index';
import type { ClientChannel, ServerMessage } from './protocol';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: ServiceError): void;
  onProgress?: (value: unknown) => unknown;
  disposeAbort?: () => void;
}

export interface RpcClient {
  call(
    service: string,
    method: string,
    args: unknown,
    options?: CallOptions<unknown>,
  ): Promise<unknown>;
  readonly services: BerthServices;
  dispose(): void;
}

export function createRpcClient(channel: ClientChannel): RpcClient {
  let nextId = 1;
  let closedReason: string | undefined;
  const pending = new Map<number, PendingCall>();
  /** Progress messages handled per call since the last ack (sent once per task, coalesced). */
  const unacked = new Map<number, number>();
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const sendAcks = () => {
    ackTimer = undefined;
    for (const [id, count] of unacked) {
      if (pending.has(id) && closedReason === undefined) channel.send({ type: 'ack', id, count });
    }
    unacked.clear();
  };
  const handled = (id: number) => {
    unacked.set(id, (unacked.get(id) ?? 0) + 1);
    ackTimer ??= setTimeout(sendAcks, 0);
  };

  /** Acknowledges a message once its handlers are done: at once, or when their promises settle. */
  const acknowledgeAfter = (outcomes: unknown[], id: number) => {
    const pendingWork = outcomes.filter((outcome) => outcome instanceof Promise);
    if (pendingWork.length === 0) handled(id);
    else void Promise.allSettled(pendingWork).then(() => handled(id));
  };

  const settle = (id: number) => {
    const entry = pending.get(id);
    pending.delete(id);
    entry?.disposeAbort?.();
    return entry;
  };

  const stopMessages = channel.onMessage((message: ServerMessage) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    switch (message.type) {
      case 'progress':
        acknowledgeAfter([entry.onProgress?.(message.value)], message.id);
        break;
      case 'progress-batch':
        acknowledgeAfter(
          message.values.map((value) => entry.onProgress?.(value)),
          message.id,
        );
        break;
      case 'result':
        settle(message.id)?.resolve(message.value);
        break;
      case 'error':
        settle(message.id)?.reject(
          isServiceErrorData(message.error)
            ? ServiceError.fromData(message.error)
            : new ServiceError('internal', 'malformed error from main'),
        );
        break;
    }
  });

  const failAll = (reason: string) => {
    closedReason = reason;
    for (const id of [...pending.keys()]) {
      settle(id)?.reject(
        new ServiceError('transport_closed', `connection to Berth lost: ${reason}`),
      );
    }
  };
  const stopClose = channel.onClose(failAll);

  const call: RpcClient['call'] = (service, method, args, options = {}) => {
    if (closedReason !== undefined) {
      return Promise.reject(
        new ServiceError('transport_closed', `connection to Berth lost: ${closedReason}`),
      );
    }
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new ServiceError('cancelled', 'cancelled'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const entry: PendingCall = { resolve, reject, onProgress };
      if (signal) {
        const abort = () => {
          if (!pending.has(id)) return;
          channel.send({ type: 'cancel', id });
          settle(id)?.reject(new ServiceError('cancelled', 'cancelled'));
        };
        signal.addEventListener('abort', abort, { once: true });
        entry.disposeAbort = () => signal.removeEventListener('abort', abort);
      }
      pending.set(id, entry);
      channel.send({ type: 'call', id, service, method, args });
    });
  };

  const services = Object.fromEntries(
    (Object.keys(contract) as ServiceName[]).map((service) => [
      service,
      Object.fromEntries(
        Object.keys(contract[service]).map((name) => [
          name,
          (args: unknown, options?: CallOptions<unknown>) => call(service, name, args, options),
        ]),
      ),
    ]),
  ) as unknown as BerthServices;

  return {
    call,
    services,
    dispose() {
      stopMessages();
      stopClose();
      if (ackTimer) clearTimeout(ackTimer);
      unacked.clear();
      failAll('client disposed');
    },
  };
}

/**
 * Turns a never-ending call (engine.events) into a subscription: returns a disposer, and reports
 * how the stream ended (error or transport loss) so the caller can reconnect with backoff.
 */
export function subscribe<P>(
  start: (options: CallOptions<P>) => Promise<unknown>,
  onEvent: (event: P) => void,
  onEnd: (error: ServiceError | undefined) => void,
): () => void {
  const controller = new AbortController();
  start({ signal: controller.signal, onProgress: onEvent }).then(
    () => {
      if (!controller.signal.aborted) onEnd(undefined);
    },
    (error: unknown) => {
      if (controller.signal.aborted) return;
      onEnd(error instanceof ServiceError ? error : new ServiceError('internal', String(error)));
    },
  );
  return () => controller.abort();
}
