import { describe, expect, it } from 'vitest';
import { EventBus } from '../events';
import type { ContainerStore } from './container-store';
import { ContainerRegistry } from './registry';
import type { ContainerRecord } from './types';

const store = { save: async () => undefined } as unknown as ContainerStore;
const fake = (id: string, name: string) =>
  ({
    Id: id,
    Name: name,
    Config: { Labels: { a: 'b' } },
    ImageName: 'busybox',
  }) as unknown as ContainerRecord;

describe('ContainerRegistry', () => {
  it('finds by id, unique prefix and name; ambiguous prefixes are 400', () => {
    const registry = new ContainerRegistry(store, new EventBus());
    registry.add(fake('abc123', '/one'));
    registry.add(fake('abd456', '/two'));
    expect(registry.find('abc')?.Name).toBe('/one');
    expect(registry.find('two')?.Id).toBe('abd456');
    expect(registry.find('/two')?.Id).toBe('abd456');
    expect(() => registry.find('ab')).toThrow('multiple IDs found with provided prefix: ab');
    expect(() => registry.get('zzz')).toThrow('No such container: zzz');
  });

  it('name conflicts are 409 with the holder id', () => {
    const registry = new ContainerRegistry(store, new EventBus());
    registry.add(fake('abc123', '/one'));
    expect(() => registry.reserveName('/one', 'other')).toThrow(
      'The container name "/one" is already in use by container "abc123"',
    );
  });

  it('waiters: exit resolves not-running/next-exit, removed waits for removal, abort unregisters', async () => {
    const registry = new ContainerRegistry(store, new EventBus());
    const next = registry.addWaiter('x', 'next-exit');
    const removed = registry.addWaiter('x', 'removed');
    const controller = new AbortController();
    const aborted = registry.addWaiter('x', 'not-running', controller.signal);
    controller.abort();
    await expect(aborted).rejects.toThrow('wait aborted');
    registry.notifyWaiters('x', 'exit', { StatusCode: 3, Error: null });
    expect(await next).toEqual({ StatusCode: 3, Error: null });
    let settled = false;
    void removed.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    registry.notifyWaiters('x', 'removed', { StatusCode: 3, Error: null });
    expect(await removed).toEqual({ StatusCode: 3, Error: null });
  });

  it('serializes tasks per container and emits events with name, image and labels', async () => {
    const events = new EventBus();
    const seen: string[] = [];
    events.subscribe((e) =>
      seen.push(`${e.Action}:${e.Actor.Attributes['name']}:${e.Actor.Attributes['a']}`),
    );
    const registry = new ContainerRegistry(store, events);
    const order: number[] = [];
    await Promise.all([
      registry.withLock('x', async () => {
        await new Promise((r) => setTimeout(r, 20));
        order.push(1);
      }),
      registry.withLock('x', async () => {
        order.push(2);
      }),
    ]);
    expect(order).toEqual([1, 2]);
    registry.emit(fake('abc', '/one'), 'start');
    expect(seen).toEqual(['start:one:b']);
  });
});
