// /_ping, /version, /info, /system/df.
import { writeJson } from '../respond';
import type { Route } from '../route';

export interface SystemBackend {
  version(): Record<string, unknown>;
  /** Shaped for the negotiated API version (fields come and go between versions). */
  info(apiVersion: string): Promise<Record<string, unknown>>;
  diskUsage(apiVersion: string): Promise<Record<string, unknown>>;
}

export function systemRoutes(backend: SystemBackend): Route[] {
  const ping: Route['handler'] = async (ctx) => {
    ctx.res.setHeader('OSType', 'linux');
    ctx.res.setHeader('Builder-Version', '1');
    ctx.res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.res.setHeader('Pragma', 'no-cache');
    if (ctx.req.method === 'HEAD') {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
    ctx.res.end('OK');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
    {
      method: 'GET',
      path: '/version',
      handler: async (ctx) => writeJson(ctx.res, 200, backend.version()),
    },
    {
      method: 'GET',
      path: '/info',
      handler: async (ctx) => writeJson(ctx.res, 200, await backend.info(ctx.apiVersion)),
    },
    {
      method: 'GET',
      path: '/system/df',
      handler: async (ctx) => writeJson(ctx.res, 200, await backend.diskUsage(ctx.apiVersion)),
    },
  ];
}
