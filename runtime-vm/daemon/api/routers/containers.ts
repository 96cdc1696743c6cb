// Container lifecycle routes: create, start, stop, kill, restart, pause, rename, update, wait,
// remove, list, inspect, top, prune. Streams (logs, attach, exec, stats) live in their own routers.
import { InvalidArgumentError } from '../../errors';
import { boolValue, intValue, parseFilters } from '../query';
import { startStream, writeEmpty, writeJson } from '../respond';
import type { RequestContext, Route } from '../route';
import { containerFilesRoutes, type ContainerFilesBackend } from './containers-files';
import { adaptCreateRequest, type VersionedCreateBody } from './container-create-versions';

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export const containerListFilterKeys = [
  'id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health',
  'network', 'volume', 'publish', 'expose', 'isolation', 'is-task',
] as const; // prettier-ignore

/** The container operations these routes need (implemented by ContainerService). */
export interface ContainersBackend extends ContainerFilesBackend {
  create(body: never, name?: string): Promise<{ Id: string; Warnings: string[] }>;
  start(ref: string): Promise<void>;
  stop(ref: string, options: { signal?: string; timeout?: number }): Promise<void>;
  restart(ref: string, options: { signal?: string; timeout?: number }): Promise<void>;
  kill(ref: string, signal?: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  remove(ref: string, options: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(ref: string, name: string): Promise<void>;
  update(ref: string, body: never): Promise<{ Warnings: string[] }>;
  beginWait(
    ref: string,
    condition: WaitCondition,
    signal?: AbortSignal,
  ): Promise<{ StatusCode: number; Error: { Message: string } | null }>;
  list(options: {
    all: boolean;
    limit: number;
    size: boolean;
    filters: Map<string, string[]>;
  }): Promise<object[]>;
  inspect(ref: string, size?: boolean): Promise<object>;
  top(ref: string, psArgs?: string): Promise<object>;
  prune(filters: Map<string, string[]>): Promise<object>;
}

const waitConditions = new Set<string>(['not-running', 'next-exit', 'removed']);

/** `t` (seconds, may be negative) when given; absent means the container's default. */
function stopOptions(ctx: RequestContext): { signal?: string; timeout?: number } {
  const options: { signal?: string; timeout?: number } = {};
  const signal = ctx.query.get('signal');
  if (signal) options.signal = signal;
  const timeout = ctx.query.get('t');
  if (timeout !== null && timeout !== '') options.timeout = intValue(ctx.query, 't', 10);
  return options;
}

function objectBody(body: unknown, what: string): never {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`${what} must be a JSON object`);
  }
  return body as never;
}

export function containersRoutes(backend: ContainersBackend): Route[] {
  return [
    ...containerFilesRoutes(backend),
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const list = await backend.list({
          all: boolValue(ctx.query, 'all'),
          limit: intValue(ctx.query, 'limit', -1),
          size: boolValue(ctx.query, 'size'),
          filters: parseFilters(ctx.query, containerListFilterKeys),
        });
        writeJson(ctx.res, 200, list);
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (ctx) => {
        const body = objectBody(await ctx.json(), 'container config');
        const name = ctx.query.get('name') ?? undefined;
        const warnings = adaptCreateRequest(body as VersionedCreateBody, ctx.apiVersion);
        const created = await backend.create(body, name || undefined);
        writeJson(ctx.res, 201, {
          ...created,
          Warnings: [...(created.Warnings ?? []), ...warnings],
        });
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (ctx) => {
        writeJson(
          ctx.res,
          200,
          await backend.prune(parseFilters(ctx.query, ['label', 'label!', 'until'])),
        );
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/json',
      handler: async (ctx) => {
        writeJson(
          ctx.res,
          200,
          await backend.inspect(ctx.params['id'] ?? '', boolValue(ctx.query, 'size')),
        );
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/top',
      handler: async (ctx) => {
        const psArgs = ctx.query.get('ps_args') ?? undefined;
        writeJson(ctx.res, 200, await backend.top(ctx.params['id'] ?? '', psArgs));
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/start',
      handler: async (ctx) => {
        await backend.start(ctx.params['id'] ?? '');
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/stop',
      handler: async (ctx) => {
        await backend.stop(ctx.params['id'] ?? '', stopOptions(ctx));
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/restart',
      handler: async (ctx) => {
        await backend.restart(ctx.params['id'] ?? '', stopOptions(ctx));
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/kill',
      handler: async (ctx) => {
        await backend.kill(ctx.params['id'] ?? '', ctx.query.get('signal') || undefined);
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/pause',
      handler: async (ctx) => {
        await backend.pause(ctx.params['id'] ?? '');
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/unpause',
      handler: async (ctx) => {
        await backend.unpause(ctx.params['id'] ?? '');
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/rename',
      handler: async (ctx) => {
        await backend.rename(ctx.params['id'] ?? '', ctx.query.get('name') ?? '');
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/update',
      handler: async (ctx) => {
        const body = objectBody(await ctx.json(), 'update config');
        writeJson(ctx.res, 200, await backend.update(ctx.params['id'] ?? '', body));
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/wait',
      handler: async (ctx) => {
        const condition = ctx.query.get('condition') || 'not-running';
        if (!waitConditions.has(condition)) {
          throw new InvalidArgumentError(`invalid condition: "${condition}"`);
        }
        // 404 is decided before the headers; the CLI starts the container only once they arrive.
        const result = backend.beginWait(
          ctx.params['id'] ?? '',
          condition as WaitCondition,
          ctx.signal,
        );
        startStream(ctx.res, 'application/json');
        let outcome;
        try {
          outcome = await result;
        } catch {
          if (!ctx.res.writableEnded) ctx.res.end();
          return;
        }
        const body = outcome.Error ? outcome : { StatusCode: outcome.StatusCode };
        ctx.res.end(JSON.stringify(body) + '\n');
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{id}',
      handler: async (ctx) => {
        await backend.remove(ctx.params['id'] ?? '', {
          force: boolValue(ctx.query, 'force'),
          volumes: boolValue(ctx.query, 'v'),
        });
        writeEmpty(ctx.res, 204);
      },
    },
  ];
}
