// GET /events: replay of buffered events (since/until), then a live stream until `until` or
// until the client hangs up. Headers go out at once: `docker events` and compose wait for them.
import { InvalidArgumentError } from '../../errors';
import type { EngineEvent, EventListener } from '../../services/events';
import { eventFilterKeys, matchesEventFilters } from '../../services/events';
import { parseFilters, parseTimestamp } from '../query';
import { startStream, writeJsonLine } from '../respond';
import type { Route } from '../route';

export interface EventsBackend {
  subscribe(listener: EventListener): () => void;
  history(sinceMs?: number, untilMs?: number): EngineEvent[];
}

export interface EventsRouteOptions {
  /** Aborts when the daemon shuts down: open event streams end instead of holding the drain. */
  shutdown?: AbortSignal;
}

export function eventsRoutes(backend: EventsBackend, options: EventsRouteOptions = {}): Route[] {
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, eventFilterKeys);
        const now = Date.now();
        const sinceRaw = ctx.query.get('since');
        const untilRaw = ctx.query.get('until');
        const sinceMs = sinceRaw ? parseTimestamp(sinceRaw, 'since', now) : undefined;
        const untilMs =
          untilRaw && untilRaw !== '0' ? parseTimestamp(untilRaw, 'until', now) : undefined;
        if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) {
          throw new InvalidArgumentError('until must not be before since');
        }
        startStream(ctx.res, 'application/json');
        const write = (event: EngineEvent) => {
          if (matchesEventFilters(event, filters)) writeJsonLine(ctx.res, event);
        };
        const seen = new Set<number>();
        // Subscribe before replaying so nothing emitted in between is lost.
        const buffered: EngineEvent[] = [];
        let replaying = true;
        const dispose = backend.subscribe((event) => {
          if (replaying) buffered.push(event);
          else if (untilMs === undefined || event.timeNano / 1e6 <= untilMs) write(event);
        });
        try {
          if (sinceMs !== undefined) {
            for (const event of backend.history(sinceMs, untilMs)) {
              seen.add(event.timeNano);
              write(event);
            }
          }
          replaying = false;
          for (const event of buffered) if (!seen.has(event.timeNano)) write(event);
          if (untilMs !== undefined && untilMs <= Date.now()) return;
          const signals = [ctx.signal, ...(options.shutdown ? [options.shutdown] : [])];
          await new Promise<void>((resolve) => {
            const finish = () => {
              clearTimeout(timer);
              for (const signal of signals) signal.removeEventListener('abort', finish);
              resolve();
            };
            const timer =
              untilMs !== undefined ? setTimeout(finish, untilMs - Date.now()) : undefined;
            if (signals.some((s) => s.aborted)) finish();
            else
              for (const signal of signals)
                signal.addEventListener('abort', finish, { once: true });
          });
        } finally {
          dispose();
          if (!ctx.res.writableEnded) ctx.res.end();
        }
      },
    },
  ];
}
