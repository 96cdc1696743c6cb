import { describe, expect, it } from 'vitest';
import type { ClientChannel, ClientMessage, ServerMessage } from './protocol';
import { createRpcClient, subscribe } from './client';

function fakeChannel() {
  const sent: ClientMessage[] = [];
  let deliver: (message: ServerMessage) => void = () => undefined;
  let close: (reason: string) => void = () => undefined;
  const channel: ClientChannel = {
    send: (message) => sent.push(message),
    onMessage: (listener) => {
      deliver = listener;
      return () => undefined;
    },
    onClose: (listener) => {
      close = listener;
      return () => undefined;
    },
  };
  return {
    channel,
    sent,
    deliver: (message: ServerMessage) => deliver(message),
    close: (reason: string) => close(reason),
  };
}

describe('rpc client', () => {
  it('delivers single and batched progress in order, then the result', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const progress: unknown[] = [];
    const call = client.services.images.pull(
      { ref: 'busybox' },
      { onProgress: (value) => progress.push(value) },
    );
    expect(wire.sent).toEqual([
      { type: 'call', id: 1, service: 'images', method: 'pull', args: { ref: 'busybox' } },
    ]);
    wire.deliver({ type: 'progress', id: 1, value: 'a' });
    wire.deliver({ type: 'progress-batch', id: 1, values: ['b', 'c'] });
    wire.deliver({ type: 'result', id: 1, value: { ref: 'busybox' } });
    await expect(call).resolves.toEqual({ ref: 'busybox' });
    expect(progress).toEqual(['a', 'b', 'c']);
  });

  it('sends cancel on abort and rejects with cancelled', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const controller = new AbortController();
    const call = client.services.images.pull({ ref: 'busybox' }, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(wire.sent.at(-1)).toEqual({ type: 'cancel', id: 1 });
  });

  it('fails pending and later calls when the connection is lost', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const pending = client.services.containers.list();
    wire.close('socket closed');
    await expect(pending).rejects.toMatchObject({
      code: 'transport_closed',
      message: 'connection to Berth lost: socket closed',
    });
    await expect(client.services.containers.list()).rejects.toMatchObject({
      code: 'transport_closed',
    });
  });

  it('reports how a subscription ended, but not when it was disposed', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const ends: unknown[] = [];
    const events: unknown[] = [];
    subscribe(
      (options) => client.services.engine.events(undefined, options),
      (event) => events.push(event),
      (error) => ends.push(error?.code),
    );
    wire.deliver({ type: 'progress', id: 1, value: { type: 'engine', action: 'connected' } });
    wire.deliver({ type: 'error', id: 1, error: { code: 'engine_unreachable', message: 'gone' } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events).toHaveLength(1);
    expect(ends).toEqual(['engine_unreachable']);
    const dispose = subscribe(
      (options) => client.services.engine.events(undefined, options),
      () => undefined,
      (error) => ends.push(error?.code),
    );
    dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ends).toEqual(['engine_unreachable']);
    expect(wire.sent.at(-1)).toEqual({ type: 'cancel', id: 2 });
  });

  it('acknowledges handled progress once per task, for flow control', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const call = client.services.images.pull({ ref: 'busybox' }, { onProgress: () => undefined });
    wire.deliver({ type: 'progress', id: 1, value: 'a' });
    wire.deliver({ type: 'progress-batch', id: 1, values: ['b', 'c'] });
    expect(wire.sent.filter((message) => message.type === 'ack')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(wire.sent.filter((message) => message.type === 'ack')).toEqual([
      { type: 'ack', id: 1, count: 2 },
    ]);
    wire.deliver({ type: 'result', id: 1, value: { ref: 'busybox' } });
    await call;
  });
  it('acknowledges progress whose handler returns a promise only once it settles', async () => {
    const wire = fakeChannel();
    const client = createRpcClient(wire.channel);
    const parsed: Array<() => void> = [];
    const call = client.services.images.pull(
      { ref: 'busybox' },
      { onProgress: () => new Promise<void>((resolve) => parsed.push(resolve)) },
    );
    const acks = () => wire.sent.filter((message) => message.type === 'ack');
    wire.deliver({ type: 'progress-batch', id: 1, values: ['a', 'b'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(acks()).toEqual([]);
    parsed[0]!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(acks()).toEqual([]);
    parsed[1]!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(acks()).toEqual([{ type: 'ack', id: 1, count: 1 }]);
    wire.deliver({ type: 'result', id: 1, value: { ref: 'busybox' } });
    await call;
  });
});
