import { describe, expect, it } from 'vitest';
import { EventBus, matchesEventFilters } from './events';

describe('EventBus', () => {
  it('adds wire fields, legacy fields, strictly increasing timeNano, and a bounded buffer', () => {
    const bus = new EventBus();
    const first = bus.emit({
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'abc', Attributes: { image: 'busybox', name: 'c1' } },
    });
    const second = bus.emit({
      Type: 'image',
      Action: 'pull',
      Actor: { ID: 'busybox:latest', Attributes: {} },
    });
    expect(first).toMatchObject({ scope: 'local', status: 'start', id: 'abc', from: 'busybox' });
    expect(second.timeNano).toBeGreaterThan(first.timeNano);
    expect(second.time).toBe(Math.floor(second.timeNano / 1e9));
    for (let i = 0; i < 300; i++)
      bus.emit({ Type: 'daemon', Action: 'reload', Actor: { ID: 'd', Attributes: {} } });
    expect(bus.history()).toHaveLength(256);
  });

  it('delivers to subscribers until disposed, surviving a throwing subscriber', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const dispose = bus.subscribe((e) => seen.push(e.Action));
    bus.emit({ Type: 'volume', Action: 'create', Actor: { ID: 'v', Attributes: {} } });
    dispose();
    bus.emit({ Type: 'volume', Action: 'destroy', Actor: { ID: 'v', Attributes: {} } });
    expect(seen).toEqual(['create']);
    expect(bus.subscriberCount).toBe(0);
  });

  it('filters by type, event, container name, image and label', () => {
    const bus = new EventBus();
    const event = bus.emit({
      Type: 'container',
      Action: 'exec_start: sh',
      Actor: {
        ID: 'a'.repeat(64),
        Attributes: { name: 'web', image: 'nginx:latest', tier: 'front' },
      },
    });
    const f = (o: Record<string, string[]>) =>
      matchesEventFilters(event, new Map(Object.entries(o)));
    expect(f({ type: ['container'], event: ['exec_start'] })).toBe(true);
    expect(f({ container: ['web'] })).toBe(true);
    expect(f({ container: ['aaaaaaaaaaaa'] })).toBe(true);
    expect(f({ image: ['nginx'] })).toBe(true);
    expect(f({ label: ['tier=front'] })).toBe(true);
    expect(f({ label: ['tier=back'] })).toBe(false);
    expect(f({ type: ['image'] })).toBe(false);
    expect(f({ volume: ['x'] })).toBe(false);
  });
});
