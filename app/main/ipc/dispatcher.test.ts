import { describe, expect, it } from 'vitest';
import type { CallOptions } from '../../shared/contract';
import type { ServerMessage } from '../../shared/rpc/protocol';
import type { BerthServices } from '../../shared/services/index';
import type { PullProgress } from '../../shared/types';
import {
  congestionWindowBytes,
  createDispatcher,
  drainedWindowBytes,
  maxCallsInFlight,
} from './dispatcher';

function servicesWith(
  pull: (args: { ref: string }, options: CallOptions<PullProgress>) => Promise<{ ref: string }>,
): BerthServices {
  return { images: { pull } } as unknown as BerthServices;
}

function connect(services: BerthServices) {
  const sent: ServerMessage[] = [];
  const connection = createDispatcher(services).connect((message) => sent.push(message));
  return { sent, connection };
}

const settled = (sent: ServerMessage[]) =>
  sent.some((message) => message.type === 'result' || message.type === 'error');
const waitFor = async (predicate: () => boolean) => {
  for (let attempt = 0; attempt < 200 && !predicate(); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('dispatcher', () => {
  it('batches a burst of progress into few messages, delivered before the result', async () => {
    const { sent, connection } = connect(
      servicesWith(async ({ ref }, { onProgress }) => {
        for (let index = 0; index < 5000; index++)
          onProgress?.({
            id: `layer${index % 3}`,
            status: 'Downloading',
            current: index,
            total: 5000,
          });
        return { ref };
      }),
    );
    connection.receive({
      type: 'call',
      id: 1,
      service: 'images',
      method: 'pull',
      args: { ref: 'busybox' },
    });
    await waitFor(() => settled(sent));
    const values = sent.flatMap((message) =>
      message.type === 'progress'
        ? [message.value]
        : message.type === 'progress-batch'
          ? message.values
          : [],
    );
    expect(values).toHaveLength(5000);
    expect(sent.length).toBeLessThan(100);
    expect(sent.at(-1)).toEqual({ type: 'result', id: 1, value: { ref: 'busybox' } });
  });

  it('aborts the call when the client cancels it', async () => {
    let aborted = false;
    const { sent, connection } = connect(
      servicesWith(
        (_args, { signal }) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted = true;
              reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
            });
          }),
      ),
    );
    connection.receive({
      type: 'call',
      id: 2,
      service: 'images',
      method: 'pull',
      args: { ref: 'busybox' },
    });
    connection.receive({ type: 'cancel', id: 2 });
    await waitFor(() => settled(sent));
    expect(aborted).toBe(true);
    expect(sent).toEqual([
      { type: 'error', id: 2, error: { code: 'cancelled', message: 'cancelled' } },
    ]);
  });

  it('aborts everything in flight when the connection goes away, and then stays silent', async () => {
    let aborted = 0;
    const { sent, connection } = connect(
      servicesWith(
        (_args, { signal }) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted++;
              reject(new Error('gone'));
            });
          }),
      ),
    );
    connection.receive({
      type: 'call',
      id: 3,
      service: 'images',
      method: 'pull',
      args: { ref: 'a' },
    });
    connection.receive({
      type: 'call',
      id: 4,
      service: 'images',
      method: 'pull',
      args: { ref: 'b' },
    });
    connection.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(aborted).toBe(2);
    expect(sent).toEqual([]);
  });

  it('refuses calls beyond the in-flight limit', async () => {
    const { sent, connection } = connect(servicesWith(() => new Promise(() => undefined)));
    for (let id = 1; id <= maxCallsInFlight + 1; id++) {
      connection.receive({
        type: 'call',
        id,
        service: 'images',
        method: 'pull',
        args: { ref: 'a' },
      });
    }
    await waitFor(() => sent.length > 0);
    expect(sent).toEqual([
      {
        type: 'error',
        id: maxCallsInFlight + 1,
        error: {
          code: 'invalid_argument',
          message: `too many calls in flight (limit ${maxCallsInFlight})`,
        },
      },
    ]);
    connection.dispose();
  });

  it('drops messages without a usable id', async () => {
    const { sent, connection } = connect(servicesWith(async ({ ref }) => ({ ref })));
    for (const junk of [
      null,
      'x',
      { type: 'call' },
      { type: 'call', id: 'a', service: 'images', method: 'pull' },
      { type: 'call', id: 1.5, service: 'images', method: 'pull' },
    ]) {
      connection.receive(junk);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toEqual([]);
  });

  it('reports congestion once the client leaves too many progress bytes unhandled', async () => {
    let backpressure: CallOptions<PullProgress>['backpressure'];
    let emit: () => void = () => undefined;
    const { sent, connection } = connect(
      servicesWith((_args, options) => {
        backpressure = options.backpressure;
        // A quarter of the window per value; each is over 16 KiB, so it leaves at once.
        emit = () =>
          options.onProgress?.({ id: 'x'.repeat(congestionWindowBytes / 4), status: '' });
        return new Promise(() => undefined);
      }),
    );
    connection.receive({
      type: 'call',
      id: 7,
      service: 'images',
      method: 'pull',
      args: { ref: 'a' },
    });
    await waitFor(() => backpressure !== undefined);
    for (let index = 0; index < 3; index++) emit();
    expect(backpressure!.congested).toBe(false);
    emit();
    expect(sent.filter((message) => message.type === 'progress')).toHaveLength(4);
    expect(backpressure!.congested).toBe(true);
    let drained = false;
    void backpressure!.drained().then(() => (drained = true));
    connection.receive({ type: 'ack', id: 7, count: 2 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(backpressure!.congested).toBe(false);
    // Two quarters (2 MiB) are still unhandled: above the drained mark.
    expect(drained).toBe(false);
    expect(congestionWindowBytes / 2).toBeGreaterThan(drainedWindowBytes);
    connection.receive({ type: 'ack', id: 7, count: 2 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(drained).toBe(true);
    connection.dispose();
  });

  it('releases a waiting producer when the connection goes away', async () => {
    let backpressure: CallOptions<PullProgress>['backpressure'];
    let emit: () => void = () => undefined;
    const { connection } = connect(
      servicesWith((_args, options) => {
        backpressure = options.backpressure;
        emit = () =>
          options.onProgress?.({ id: 'y'.repeat(congestionWindowBytes / 4), status: '' });
        return new Promise(() => undefined);
      }),
    );
    connection.receive({
      type: 'call',
      id: 8,
      service: 'images',
      method: 'pull',
      args: { ref: 'a' },
    });
    await waitFor(() => backpressure !== undefined);
    for (let index = 0; index < 4; index++) emit();
    expect(backpressure!.congested).toBe(true);
    const drained = backpressure!.drained();
    connection.dispose();
    await expect(drained).resolves.toBeUndefined();
  });
});
