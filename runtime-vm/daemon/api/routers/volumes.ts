// /volumes/* : list, create, inspect, remove, prune.
import { InvalidArgumentError } from '../../errors';
import { boolValue, parseFilters, type Filters } from '../query';
import { writeEmpty, writeJson } from '../respond';
import type { Route } from '../route';

export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface VolumesBackend {
  list(filters: Filters): unknown;
  create(request: VolumeCreateBody): Promise<unknown>;
  inspect(name: string): unknown;
  remove(name: string, force: boolean): Promise<void>;
  prune(filters: Filters, apiVersion: string): Promise<unknown>;
}

const listFilterKeys = ['dangling', 'name', 'label', 'driver'];
const pruneFilterKeys = ['label', 'label!', 'all'];

function stringMap(value: unknown, field: string): Record<string, string> | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${field} must be an object of strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new InvalidArgumentError(`${field}.${key} must be a string`);
  }
  return value as Record<string, string>;
}

function createBody(body: unknown): VolumeCreateBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError('volume create: expected a JSON object');
  }
  const raw = body as Record<string, unknown>;
  // docker-py and compose v1 send null for fields they leave unset.
  for (const field of ['Name', 'Driver'] as const) {
    if (raw[field] !== undefined && raw[field] !== null && typeof raw[field] !== 'string') {
      throw new InvalidArgumentError(`${field} must be a string`);
    }
  }
  return {
    Name: (raw['Name'] as string | null | undefined) ?? undefined,
    Driver: (raw['Driver'] as string | null | undefined) ?? undefined,
    DriverOpts: stringMap(raw['DriverOpts'], 'DriverOpts'),
    Labels: stringMap(raw['Labels'], 'Labels'),
  };
}

export function volumesRoutes(backend: VolumesBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, backend.list(parseFilters(ctx.query, listFilterKeys)));
      },
    },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (ctx) => {
        writeJson(ctx.res, 201, await backend.create(createBody(await ctx.json())));
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, pruneFilterKeys);
        writeJson(ctx.res, 200, await backend.prune(filters, ctx.apiVersion));
      },
    },
    {
      method: 'GET',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, backend.inspect(ctx.params['name'] as string));
      },
    },
    {
      method: 'DELETE',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        await backend.remove(ctx.params['name'] as string, boolValue(ctx.query, 'force'));
        writeEmpty(ctx.res, 204);
      },
    },
  ];
}
