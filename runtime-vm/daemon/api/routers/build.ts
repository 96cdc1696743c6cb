// POST /build (the classic builder protocol: a tar context in, JSON progress lines out) and
// POST /build/prune. Parameters are checked before the context is read, so a bad request gets a
// proper status; once output has started, errors travel in-band as dockerd's do.
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import { hostPlatform, parsePlatform } from '../../drivers/registry/manifest';
import { parseReference } from '../../drivers/registry/reference';
import { registryDomain } from '../../services/images/image-service';
import { ProgressStream } from '../progress-stream';
import { boolValue, parseFilters, parseTimestamp } from '../query';
import { writeJson } from '../respond';
import type { RequestContext, Route } from '../route';
import type { BuildRequest } from '../../services/build/build-types';

export interface BuildBackend {
  build(
    request: BuildRequest,
    body: NodeJS.ReadableStream,
    output: (message: object) => void,
    signal?: AbortSignal,
  ): Promise<{ id: string; tags: string[] }>;
  prune(options: {
    all: boolean;
    untilMs?: number;
  }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>;
}

function jsonMap(ctx: RequestContext, name: string): Record<string, string | null> {
  const raw = ctx.query.get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`${name} is not valid JSON: ${raw}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError(`${name} must be a JSON object of strings`);
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value !== null && typeof value !== 'string')
      throw new InvalidArgumentError(`${name}: the value of ${key} must be a string`);
    out[key] = value;
  }
  return out;
}

/** X-Registry-Config: base64 JSON `{ "registry": { username, password, auth, identitytoken } }`. */
export function registryConfig(header: string | undefined): Map<string, RegistryCredentials> {
  const map = new Map<string, RegistryCredentials>();
  if (!header || header.trim() === '') return map;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch {
    return map; // dockerd ignores an unreadable auth config, as it does for X-Registry-Auth
  }
  if (!json || typeof json !== 'object') return map;
  for (const [server, value] of Object.entries(json as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') continue;
    const entry = value as Record<string, unknown>;
    const text = (key: string) =>
      typeof entry[key] === 'string' && entry[key] !== '' ? (entry[key] as string) : undefined;
    let username = text('username');
    let password = text('password');
    const auth = text('auth');
    if (auth && !username) {
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
    const identityToken = text('identitytoken');
    map.set(registryDomain(text('serveraddress') ?? server), {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(identityToken ? { identityToken } : {}),
    });
  }
  return map;
}

function checkPlatform(platform: string | null): string | undefined {
  if (!platform) return undefined;
  const wanted = parsePlatform(platform);
  const host = hostPlatform();
  if (wanted.os !== host.os || wanted.architecture !== host.architecture) {
    throw new InvalidArgumentError(
      `platform ${platform} is not supported: this daemon builds for ${host.os}/${host.architecture} only`,
    );
  }
  return platform;
}

export function buildRoutes(backend: BuildBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/build',
      handler: async (ctx) => {
        const { query } = ctx;
        if (query.get('remote'))
          throw new InvalidArgumentError('remote build contexts are not supported: send a tar');
        const tags = query.getAll('t').filter((t) => t.trim() !== '');
        for (const tag of tags) {
          const ref = parseReference(tag);
          if (ref.digest)
            throw new InvalidArgumentError(`invalid tag ${tag}: a digest is not a tag`);
        }
        const header = ctx.req.headers['x-registry-config'];
        const credentials = registryConfig(Array.isArray(header) ? header[0] : header);
        const platform = checkPlatform(query.get('platform'));
        const quiet = boolValue(query, 'q');
        const request = {
          dockerfile: query.get('dockerfile') || 'Dockerfile',
          tags,
          buildArgs: jsonMap(ctx, 'buildargs'),
          ...(query.get('target') ? { target: query.get('target') as string } : {}),
          noCache: boolValue(query, 'nocache'),
          pull: boolValue(query, 'pull'),
          remove: boolValue(query, 'rm', true) || boolValue(query, 'forcerm'),
          labels: Object.fromEntries(
            Object.entries(jsonMap(ctx, 'labels')).map(([k, v]) => [k, v ?? '']),
          ),
          networkMode: query.get('networkmode') || 'default',
          ...(platform ? { platform } : {}),
          credentialsFor: (domain: string) => credentials.get(domain) ?? {},
          quiet,
        };
        const progress = new ProgressStream(ctx.res);
        try {
          const result = await backend.build(request, ctx.req, progress.write, ctx.signal);
          const short = result.id.replace(/^sha256:/, '').slice(0, 12);
          if (quiet) progress.write({ stream: `${result.id}\n` });
          else {
            progress.write({ stream: `Successfully built ${short}\n` });
            for (const tag of result.tags)
              progress.write({ stream: `Successfully tagged ${tag}\n` });
          }
        } catch (error) {
          if (!progress.hasStarted) throw error;
          const message = error instanceof Error ? error.message : String(error);
          const code = (error as { exitCode?: unknown }).exitCode;
          progress.write({
            errorDetail: { ...(typeof code === 'number' ? { code } : {}), message },
            error: message,
          });
        }
        progress.end();
      },
    },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, [
          'until',
          'unused-for',
          'type',
          'id',
          'inuse',
          'shared',
          'private',
        ]);
        const until = filters.get('until')?.[0] ?? filters.get('unused-for')?.[0];
        const untilMs = until ? parseTimestamp(until, 'until') : undefined;
        const result = await backend.prune({
          all: boolValue(ctx.query, 'all'),
          ...(untilMs !== undefined ? { untilMs } : {}),
        });
        writeJson(ctx.res, 200, result);
      },
    },
  ];
}
