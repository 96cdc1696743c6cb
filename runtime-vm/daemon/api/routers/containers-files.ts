// Container file routes: changes (docker diff), export, and archive HEAD/GET/PUT (docker cp).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../errors';
import { boolValue } from '../query';
import { writeEmpty, writeJson } from '../respond';
import type { RequestContext, Route } from '../route';

export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface ContainerFilesBackend {
  changes(ref: string): Promise<object[]>;
  export(ref: string, signal?: AbortSignal): Promise<{ stream: Readable; done: Promise<void> }>;
  archiveStat(ref: string, path: string): Promise<ContainerPathStat>;
  archiveGet(
    ref: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<{ stat: ContainerPathStat; stream: Readable; done: Promise<void> }>;
  archivePut(
    ref: string,
    path: string,
    body: Readable,
    options: { noOverwriteDirNonDir: boolean; copyUidGid: boolean },
  ): Promise<void>;
}

const statHeader = 'X-Docker-Container-Path-Stat';

function requiredPath(ctx: RequestContext): string {
  const path = ctx.query.get('path');
  if (path === null || path === '') throw new InvalidArgumentError('path is required');
  return path;
}

function encodeStat(stat: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** Streams a tar body whose status and headers are already decided. */
async function sendTar(
  ctx: RequestContext,
  stream: Readable,
  headers: Record<string, string> = {},
): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  await pipeline(stream, ctx.res).catch(() => {
    // The client went away or tar failed mid-stream; the status is already sent.
    if (!ctx.res.destroyed) ctx.res.destroy();
  });
}

export function containerFilesRoutes(backend: ContainerFilesBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/containers/{id}/changes',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, await backend.changes(ctx.params['id'] ?? ''));
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/export',
      handler: async (ctx) => {
        const { stream } = await backend.export(ctx.params['id'] ?? '', ctx.signal);
        await sendTar(ctx, stream);
      },
    },
    {
      method: 'HEAD',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        const stat = await backend.archiveStat(ctx.params['id'] ?? '', requiredPath(ctx));
        ctx.res.setHeader(statHeader, encodeStat(stat));
        writeEmpty(ctx.res, 200);
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        const { stat, stream } = await backend.archiveGet(
          ctx.params['id'] ?? '',
          requiredPath(ctx),
          ctx.signal,
        );
        await sendTar(ctx, stream, { [statHeader]: encodeStat(stat) });
      },
    },
    {
      method: 'PUT',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        await backend.archivePut(ctx.params['id'] ?? '', requiredPath(ctx), ctx.req, {
          noOverwriteDirNonDir: boolValue(ctx.query, 'noOverwriteDirNonDir'),
          copyUidGid: boolValue(ctx.query, 'copyUIDGID'),
        });
        writeEmpty(ctx.res, 200);
      },
    },
  ];
}
