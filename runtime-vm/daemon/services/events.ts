// The daemon's event bus: services emit, `GET /events` subscribers and since/until replays read.

export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon';

export interface EventInput {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** The wire shape, legacy fields included (clients before API 1.52 read status/id/from). */
export interface EngineEvent extends EventInput {
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

export type EventListener = (event: EngineEvent) => void;

const ringSize = 256;

export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private lastNano = 0;

  emit(input: EventInput): EngineEvent {
    // timeNano must be strictly increasing so since/until replays are unambiguous. Nanoseconds
    // since the epoch exceed 2^53, so collisions step by a microsecond, which doubles can hold.
    let nano = Date.now() * 1_000_000;
    if (nano <= this.lastNano) nano = this.lastNano + 1000;
    this.lastNano = nano;
    const event: EngineEvent = {
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: { ...input.Actor.Attributes } },
      scope: 'local',
      time: Math.floor(nano / 1_000_000_000),
      timeNano: nano,
    };
    if (input.Type === 'container' || input.Type === 'image') {
      event.status = input.Action;
      event.id = input.Actor.ID;
      const image = input.Actor.Attributes['image'];
      if (input.Type === 'container' && image !== undefined) event.from = image;
    }
    this.ring.push(event);
    if (this.ring.length > ringSize) this.ring.shift();
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not stop delivery to the others; it is dropped.
        this.listeners.delete(listener);
      }
    }
    return event;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Buffered events with sinceMs <= time <= untilMs (milliseconds; either may be absent). */
  history(sinceMs?: number, untilMs?: number): EngineEvent[] {
    return this.ring.filter((event) => {
      const ms = event.timeNano / 1_000_000;
      if (sinceMs !== undefined && ms < sinceMs) return false;
      if (untilMs !== undefined && ms > untilMs) return false;
      return true;
    });
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}

export const eventFilterKeys = [
  'container',
  'event',
  'image',
  'label',
  'type',
  'volume',
  'network',
  'daemon',
  'scope',
] as const;

/** moby's event filter semantics: every given key must match; values within a key are OR-ed. */
export function matchesEventFilters(event: EngineEvent, filters: Map<string, string[]>): boolean {
  const attrs = event.Actor.Attributes;
  const anyOf = (key: string, candidates: (string | undefined)[]): boolean => {
    const wanted = filters.get(key);
    if (!wanted || wanted.length === 0) return true;
    return wanted.some((w) => candidates.some((c) => c !== undefined && c !== '' && c === w));
  };
  const actorFor = (type: EventType, key: string): boolean => {
    if (!filters.has(key)) return true;
    if (event.Type !== type) return false;
    return anyOf(key, [event.Actor.ID, attrs['name'], event.Actor.ID.slice(0, 12)]);
  };
  if (!anyOf('type', [event.Type])) return false;
  if (!anyOf('event', [event.Action, event.Action.split(':')[0]])) return false;
  if (!anyOf('scope', [event.scope])) return false;
  if (!actorFor('container', 'container')) return false;
  if (!actorFor('volume', 'volume')) return false;
  if (!actorFor('network', 'network')) return false;
  if (!actorFor('daemon', 'daemon')) return false;
  if (filters.has('image')) {
    const candidates = [attrs['image'], attrs['name']];
    if (event.Type === 'image') candidates.push(event.Actor.ID);
    const stripTag = (ref: string | undefined) => ref?.replace(/:[^/:]+$/, '');
    if (!anyOf('image', [...candidates, ...candidates.map(stripTag)])) return false;
  }
  const labels = filters.get('label');
  if (labels && labels.length > 0) {
    const ok = labels.every((entry) => {
      const eq = entry.indexOf('=');
      if (eq < 0) return attrs[entry] !== undefined;
      return attrs[entry.slice(0, eq)] === entry.slice(eq + 1);
    });
    if (!ok) return false;
  }
  return true;
}
