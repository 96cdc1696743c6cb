// /images/* : pull, list, inspect, history, tag, remove, prune. Transfers (push, save, load,
// import) are in images-transfer.ts.
import { InvalidArgumentError } from '../../errors';
import { decodeRegistryAuth, type RegistryCredentials } from '../../drivers/registry/auth';
import { boolValue, parseFilters, parseTimestamp } from '../query';
import { ProgressStream } from '../progress-stream';
import { writeJson, writeEmpty } from '../respond';
import type { RequestContext, Route } from '../route';
import { openUrlSource, parseImportUrl } from '../../services/images/url-source';
import {
  imageInspectForApi,
  imageSummaryForApi,
  type ImageSummary,
} from '../../services/images/views';
import {
  parseSearchFilters,
  parseSearchLimit,
  type SearchFilters,
} from '../../services/images/search';

type ProgressSink = (message: object) => void;

export interface ImagesBackend {
  pull(options: {
    reference: string;
    platform?: string;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
    onProgress: ProgressSink;
  }): Promise<unknown>;
  importImage(options: {
    source: NodeJS.ReadableStream;
    repo?: string;
    tag?: string;
    message?: string;
    changes: string[];
    platform?: string;
    signal?: AbortSignal;
  }): Promise<string>;
  list(options: {
    dangling?: boolean;
    labels?: string[];
    before?: string[];
    since?: string[];
    references?: string[];
    /** Only images created before this instant (ms since the epoch). */
    untilMs?: number;
  }): Promise<ImageSummary[]>;
  inspect(name: string): Promise<Record<string, unknown>>;
  history(name: string): Promise<unknown[]>;
  tag(source: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, force: boolean): Promise<unknown[]>;
  prune(options: { all: boolean; untilMs?: number; labels?: string[] }): Promise<unknown>;
  search(options: {
    term: string;
    limit: number;
    filters: SearchFilters;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
  }): Promise<unknown[]>;
}

export function registryCredentials(ctx: RequestContext): RegistryCredentials {
  const header = ctx.req.headers['x-registry-auth'];
  return decodeRegistryAuth(Array.isArray(header) ? header[0] : header);
}

/** `fromImage=busybox&tag=1.36` / `tag=sha256:…` / `fromImage=busybox:1.36` → one reference. */
export function pullReference(fromImage: string, tag: string | null): string {
  if (!tag) return fromImage;
  return /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

export function imagesRoutes(backend: ImagesBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const fromImage = ctx.query.get('fromImage');
        const fromSrc = ctx.query.get('fromSrc');
        const progress = new ProgressStream(ctx.res);
        if (fromImage) {
          await backend.pull({
            reference: pullReference(fromImage, ctx.query.get('tag')),
            platform: ctx.query.get('platform') || undefined,
            credentials: registryCredentials(ctx),
            signal: ctx.signal,
            onProgress: progress.write,
          });
        } else if (fromSrc) {
          const url = fromSrc === '-' ? undefined : parseImportUrl(fromSrc);
          const id = await backend.importImage({
            source: url ? await openUrlSource(url, ctx.signal) : ctx.req,
            repo: ctx.query.get('repo') || undefined,
            tag: ctx.query.get('tag') || undefined,
            message: ctx.query.get('message') || (url ? `Imported from ${url.href}` : undefined),
            changes: ctx.query.getAll('changes'),
            platform: ctx.query.get('platform') || undefined,
            signal: ctx.signal,
          });
          progress.write({ status: id });
        } else {
          throw new InvalidArgumentError('either fromImage or fromSrc is required');
        }
        progress.end();
      },
    },
    {
      method: 'GET',
      path: '/images/json',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, [
          'dangling',
          'label',
          'before',
          'since',
          'reference',
          'until',
        ]);
        const dangling = filters.get('dangling');
        let danglingValue: boolean | undefined;
        if (dangling && dangling.length > 0) {
          const value = dangling[0]?.toLowerCase();
          if (value !== 'true' && value !== 'false' && value !== '1' && value !== '0') {
            throw new InvalidArgumentError(`invalid filter 'dangling=${dangling[0]}'`);
          }
          danglingValue = value === 'true' || value === '1';
        }
        const references = filters.get('reference') ?? [];
        const legacy = ctx.query.get('filter');
        if (legacy) references.push(legacy);
        const until = filters.get('until') ?? [];
        if (until.length > 1) {
          throw new InvalidArgumentError(`more than one until filter given: ${until.join(', ')}`);
        }
        const list = await backend.list({
          dangling: danglingValue,
          labels: filters.get('label'),
          before: filters.get('before'),
          since: filters.get('since'),
          references,
          untilMs: until[0] !== undefined ? parseTimestamp(until[0], 'until') : undefined,
        });
        writeJson(
          ctx.res,
          200,
          list.map((summary) => imageSummaryForApi(summary, ctx.apiVersion)),
        );
      },
    },
    {
      method: 'GET',
      path: '/images/search',
      handler: async (ctx) => {
        const results = await backend.search({
          term: ctx.query.get('term') ?? '',
          limit: parseSearchLimit(ctx.query.get('limit')),
          filters: parseSearchFilters(
            parseFilters(ctx.query, ['is-official', 'is-automated', 'stars']),
          ),
          credentials: registryCredentials(ctx),
          signal: ctx.signal,
        });
        writeJson(ctx.res, 200, results);
      },
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/json',
      handler: async (ctx) =>
        writeJson(
          ctx.res,
          200,
          imageInspectForApi(await backend.inspect(requireName(ctx)), ctx.apiVersion),
        ),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/history',
      handler: async (ctx) => writeJson(ctx.res, 200, await backend.history(requireName(ctx))),
    },
    {
      method: 'POST',
      path: '/images/{name:.*}/tag',
      handler: async (ctx) => {
        const repo = ctx.query.get('repo');
        if (!repo) throw new InvalidArgumentError('repo is required to tag an image');
        await backend.tag(requireName(ctx), repo, ctx.query.get('tag') || undefined);
        writeEmpty(ctx.res, 201);
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query, ['dangling', 'until', 'label', 'label!']);
        const dangling = filters.get('dangling')?.[0];
        const until = filters.get('until')?.[0];
        const labels = [
          ...(filters.get('label') ?? []),
          ...(filters.get('label!') ?? []).map((l) => `!${l}`),
        ];
        const result = await backend.prune({
          all: dangling !== undefined && ['false', '0'].includes(dangling.toLowerCase()),
          untilMs: until ? parseTimestamp(until, 'until') : undefined,
          labels,
        });
        writeJson(ctx.res, 200, result);
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name:.*}',
      handler: async (ctx) => {
        const result = await backend.remove(requireName(ctx), boolValue(ctx.query, 'force'));
        writeJson(ctx.res, 200, result);
      },
    },
  ];
}

export function requireName(ctx: RequestContext): string {
  const name = ctx.params['name'] ?? '';
  if (name.trim() === '') throw new InvalidArgumentError('image name must not be empty');
  return name;
}
