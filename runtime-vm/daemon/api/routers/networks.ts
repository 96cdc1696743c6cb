// /networks/* : list, inspect, create, connect, disconnect, remove, prune.
import { InvalidArgumentError } from '../../errors';
import { parseFilters, parseTimestamp, type Filters } from '../query';
import { writeEmpty, writeJson } from '../respond';
import type { Route } from '../route';

/** Docker's EndpointSettings as sent in connect; passed through as given. */
export interface EndpointConfigBody {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  Aliases?: string[] | null;
  MacAddress?: string;
}

export interface NetworksBackend {
  list(filters: Filters): unknown[];
  inspect(idOrName: string): unknown;
  create(request: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  remove(idOrName: string): Promise<void>;
  prune(filters: Filters, untilMs?: number): Promise<string[]>;
  connect(idOrName: string, container: string, config?: EndpointConfigBody): Promise<void>;
  disconnect(idOrName: string, container: string, force?: boolean): Promise<void>;
}

const listFilterKeys = ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'];
const pruneFilterKeys = ['until', 'label', 'label!'];

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`${what}: expected a JSON object`);
  }
  return body as Record<string, unknown>;
}

function containerField(body: Record<string, unknown>): string {
  const container = body['Container'];
  if (typeof container !== 'string' || container === '') {
    throw new InvalidArgumentError('Container must be given as a non-empty string');
  }
  return container;
}

export function networksRoutes(backend: NetworksBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/networks',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, backend.list(parseFilters(ctx.query, listFilterKeys)));
      },
    },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (ctx) => {
        const body = objectBody(await ctx.json(), 'network create');
        if (typeof body['Name'] !== 'string' || body['Name'] === '') {
          throw new InvalidArgumentError('network name (Name) must be a non-empty string');
        }
        writeJson(ctx.res, 201, await backend.create(body));
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, pruneFilterKeys);
        const until = filters.get('until')?.[0];
        const untilMs = until !== undefined ? parseTimestamp(until, 'until') : undefined;
        writeJson(ctx.res, 200, { NetworksDeleted: await backend.prune(filters, untilMs) });
      },
    },
    {
      method: 'GET',
      path: '/networks/{id}',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, backend.inspect(ctx.params['id'] as string));
      },
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        await backend.remove(ctx.params['id'] as string);
        writeEmpty(ctx.res, 204);
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/connect',
      handler: async (ctx) => {
        const body = objectBody(await ctx.json(), 'network connect');
        const config = body['EndpointConfig'];
        await backend.connect(
          ctx.params['id'] as string,
          containerField(body),
          config ? (objectBody(config, 'EndpointConfig') as EndpointConfigBody) : undefined,
        );
        writeEmpty(ctx.res, 200);
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/disconnect',
      handler: async (ctx) => {
        const body = objectBody(await ctx.json(), 'network disconnect');
        await backend.disconnect(
          ctx.params['id'] as string,
          containerField(body),
          body['Force'] === true,
        );
        writeEmpty(ctx.res, 200);
      },
    },
  ];
}
