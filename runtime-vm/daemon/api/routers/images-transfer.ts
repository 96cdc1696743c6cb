// Moving images in and out: push, save (GET /images/get, /images/{name}/get), load, and
// /distribution/{name}/json.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import { boolValue } from '../query';
import { ProgressStream } from '../progress-stream';
import { writeJson } from '../respond';
import type { RequestContext, Route } from '../route';
import { registryCredentials, requireName } from './images';

type ProgressSink = (message: object) => void;

export interface ImageTransferBackend {
  push(options: {
    name: string;
    tag?: string;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  }): Promise<string>;
  save(names: string[]): Readable;
  load(
    source: NodeJS.ReadableStream,
    onProgress: ProgressSink,
    signal?: AbortSignal,
  ): Promise<string[]>;
  distribution(
    name: string,
    credentials: RegistryCredentials,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

async function sendArchive(ctx: RequestContext, archive: Readable): Promise<void> {
  // The first chunk decides the status: a missing blob fails with a JSON error, not a cut tar.
  const iterator = archive[Symbol.asyncIterator]();
  const first = await iterator.next();
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  if (!first.done) ctx.res.write(first.value as Buffer);
  async function* rest() {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  try {
    await pipeline(rest(), ctx.res, { signal: ctx.signal });
  } catch (error) {
    archive.destroy();
    ctx.res.destroy(error as Error);
  }
}

export function imageTransferRoutes(backend: ImageTransferBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/images/{name:.*}/push',
      handler: async (ctx) => {
        const progress = new ProgressStream(ctx.res);
        await backend.push({
          name: requireName(ctx),
          tag: ctx.query.get('tag') || undefined,
          credentials: registryCredentials(ctx),
          signal: ctx.signal,
          onProgress: progress.write,
        });
        progress.end();
      },
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (ctx) => {
        const names = ctx.query.getAll('names').filter((n) => n.trim() !== '');
        if (names.length === 0)
          throw new InvalidArgumentError('names is required: which images to save');
        await sendArchive(ctx, backend.save(names));
      },
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/get',
      handler: async (ctx) => sendArchive(ctx, backend.save([requireName(ctx)])),
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (ctx) => {
        const quiet = boolValue(ctx.query, 'quiet');
        const progress = new ProgressStream(ctx.res);
        await backend.load(
          ctx.req,
          (message) => {
            if (!quiet || 'stream' in message) progress.write(message);
          },
          ctx.signal,
        );
        progress.end();
      },
    },
    {
      method: 'GET',
      path: '/distribution/{name:.*}/json',
      handler: async (ctx) => {
        writeJson(
          ctx.res,
          200,
          await backend.distribution(requireName(ctx), registryCredentials(ctx), ctx.signal),
        );
      },
    },
  ];
}
