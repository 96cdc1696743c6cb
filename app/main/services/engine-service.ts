import type { Readable } from 'node:stream';
import type { CallOptions } from '../../shared/contract';
import { ServiceError } from '../../shared/errors';
import type { EngineService } from '../../shared/services/engine';
import type { EngineConfig, EngineEvent } from '../../shared/types';
import type { EngineManager } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { NdjsonSplitter } from './ndjson';

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

const eventTypes = new Set(['container', 'image', 'volume', 'network', 'daemon']);

export function toEngineEvent(raw: RawEvent): EngineEvent | undefined {
  const type = raw.Type ?? 'container';
  if (!eventTypes.has(type)) return undefined;
  return {
    type: type as EngineEvent['type'],
    action: raw.Action ?? raw.status ?? '',
    id: raw.Actor?.ID ?? raw.id ?? '',
    attributes: raw.Actor?.Attributes ?? {},
    time: raw.time ?? Math.floor(Date.now() / 1000),
  };
}

/** Follows the active engine's /events until aborted; restarts on engine switch. */
async function streamEvents(
  manager: EngineManager,
  options: CallOptions<EngineEvent>,
): Promise<void> {
  const { signal, onProgress } = options;
  const emit = (event: EngineEvent) => onProgress?.(event);
  while (!signal?.aborted) {
    const engine = manager.activeEngine();
    const outcome = await new Promise<'switched' | 'aborted'>((resolve, reject) => {
      let stream: Readable | undefined;
      const cleanups: (() => void)[] = [];
      const finish = (result: 'switched' | 'aborted' | Error) => {
        for (const cleanup of cleanups.splice(0)) cleanup();
        stream?.destroy();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const onAbort = () => finish('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal?.removeEventListener('abort', onAbort));
      cleanups.push(manager.onActiveChange(() => finish('switched')));
      manager
        .docker()
        .getEvents({})
        .then(
          (events) => {
            stream = events as Readable;
            if (signal?.aborted) return finish('aborted');
            emit({
              type: 'engine',
              action: 'connected',
              id: engine.id,
              attributes: { name: engine.name },
              time: Math.floor(Date.now() / 1000),
            });
            const splitter = new NdjsonSplitter();
            stream.on('data', (chunk: Buffer) => {
              try {
                splitter.push(chunk, (raw) => {
                  const event = toEngineEvent(raw as RawEvent);
                  if (event) emit(event);
                });
              } catch (error) {
                finish(
                  new ServiceError(
                    'internal',
                    `malformed event from engine: ${(error as Error).message}`,
                  ),
                );
              }
            });
            stream.on('error', (error) => finish(toServiceError(error)));
            stream.on('end', () =>
              finish(
                new ServiceError('engine_unreachable', 'the engine closed the event stream', {
                  reason: 'connection_refused',
                }),
              ),
            );
          },
          (error: unknown) => finish(toServiceError(error)),
        );
    });
    if (outcome === 'aborted') return;
    const next = manager.activeEngine();
    emit({
      type: 'engine',
      action: 'switched',
      id: next.id,
      attributes: { name: next.name },
      time: Math.floor(Date.now() / 1000),
    });
  }
}

export function createEngineService(manager: EngineManager): EngineService {
  return {
    status: () => manager.status(),
    list: async () => ({ engines: manager.list(), activeId: manager.activeEngine().id }),
    setActive: async ({ id }) => {
      manager.setActive(id);
      return manager.status();
    },
    add: async (input): Promise<EngineConfig> => manager.add(input),
    remove: async ({ id }) => manager.remove(id),
    events: (_args, options = {}) => streamEvents(manager, options),
  };
}
