// `GET /images/search`: Docker's term rules and filters over a registry's v1 search endpoint.
// Registries that only speak the distribution spec (Debian's docker-registry, Harbor, GHCR) have
// no search endpoint and dockerd answers "Unexpected status code 404"; we search their catalog.
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import type { RegistryClient } from '../../drivers/registry/client';

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface SearchFilters {
  isOfficial?: boolean;
  isAutomated?: boolean;
  minStars?: number;
}

const defaultLimit = 25;
const maxLimit = 100;
const dockerHubIndex = 'docker.io';

/** `busybox` → Docker Hub; `127.0.0.1:5000/busy` → that registry, searching for `busy`. */
export function splitSearchTerm(term: string): { domain: string; query: string } {
  const slash = term.indexOf('/');
  if (slash < 0) return { domain: dockerHubIndex, query: term };
  const first = term.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') {
    return { domain: dockerHubIndex, query: term };
  }
  return { domain: first, query: term.slice(slash + 1) };
}

export function parseSearchLimit(raw: string | null): number {
  if (raw === null || raw === '' || raw === '0') return defaultLimit;
  const limit = Number(raw);
  if (!Number.isInteger(limit)) throw new InvalidArgumentError(`invalid limit '${raw}'`);
  if (limit < 1 || limit > maxLimit) {
    throw new InvalidArgumentError(`Limit ${limit} is outside the range of [1, ${maxLimit}]`);
  }
  return limit;
}

function boolFilter(name: string, values: string[] | undefined): boolean | undefined {
  if (!values || values.length === 0) return undefined;
  const value = values[values.length - 1]!;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidArgumentError(`Invalid filter '${name}=${value}'`);
}

export function parseSearchFilters(filters: Map<string, string[]>): SearchFilters {
  const stars = filters.get('stars');
  let minStars: number | undefined;
  for (const value of stars ?? []) {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || value.trim() === '') {
      throw new InvalidArgumentError(`Invalid filter 'stars=${value}'`);
    }
    minStars = Math.max(minStars ?? 0, parsed);
  }
  return {
    isOfficial: boolFilter('is-official', filters.get('is-official')),
    isAutomated: boolFilter('is-automated', filters.get('is-automated')),
    minStars,
  };
}

function matches(result: SearchResult, filters: SearchFilters): boolean {
  if (filters.isOfficial !== undefined && result.is_official !== filters.isOfficial) return false;
  if (filters.isAutomated !== undefined && result.is_automated !== filters.isAutomated)
    return false;
  return filters.minStars === undefined || result.star_count >= filters.minStars;
}

function asSearchResults(document: unknown, domain: string): SearchResult[] {
  const results = (document as { results?: unknown }).results;
  if (!Array.isArray(results)) {
    throw new InvalidArgumentError(`registry ${domain} answered the search without results`);
  }
  return results.map((entry) => {
    const item = entry as Partial<SearchResult>;
    return {
      name: String(item.name ?? ''),
      description: String(item.description ?? ''),
      star_count: Number(item.star_count ?? 0),
      is_official: item.is_official === true,
      // Deprecated by Docker Hub; dockerd reports false for every API version (so the
      // is-automated=true filter matches nothing), whatever the registry says.
      is_automated: false,
    };
  });
}

async function searchCatalog(
  registry: RegistryClient,
  domain: string,
  query: string,
  credentials: RegistryCredentials,
  signal?: AbortSignal,
): Promise<SearchResult[]> {
  const session = registry.registrySession(domain, credentials);
  const needle = query.toLowerCase();
  const found: SearchResult[] = [];
  let next: string | undefined = '/v2/_catalog?n=1000';
  // The catalog is paginated through Link headers in the spec, but `last` works everywhere.
  while (next) {
    const page = await session.getJson(next, `the catalog of ${domain}`, signal);
    if (page === undefined) {
      throw new InvalidArgumentError(`registry ${domain} offers neither search nor a catalog`);
    }
    const repositories = (page as { repositories?: unknown }).repositories;
    if (!Array.isArray(repositories)) {
      throw new InvalidArgumentError(
        `registry ${domain} answered the catalog without repositories`,
      );
    }
    for (const repository of repositories.map(String)) {
      if (!repository.toLowerCase().includes(needle)) continue;
      found.push({
        name: `${domain}/${repository}`,
        description: '',
        star_count: 0,
        is_official: false,
        is_automated: false,
      });
    }
    const last = repositories.at(-1);
    next =
      repositories.length >= 1000 && last !== undefined
        ? `/v2/_catalog?n=1000&last=${encodeURIComponent(String(last))}`
        : undefined;
  }
  return found;
}

export async function searchImages(
  registry: RegistryClient,
  options: {
    term: string;
    limit: number;
    filters: SearchFilters;
    credentials: RegistryCredentials;
    signal?: AbortSignal;
  },
): Promise<SearchResult[]> {
  if (options.term.trim() === '') throw new InvalidArgumentError('search term is empty');
  const { domain, query } = splitSearchTerm(options.term);
  const session = registry.registrySession(
    domain === dockerHubIndex ? 'index.docker.io' : domain,
    options.credentials,
  );
  const params = new URLSearchParams({ q: query, n: String(options.limit) });
  const answer = await session.getJson(
    `/v1/search?${params.toString()}`,
    `a search for ${query}`,
    options.signal,
  );
  const results =
    answer === undefined
      ? await searchCatalog(registry, domain, query, options.credentials, options.signal)
      : asSearchResults(answer, domain);
  return results.filter((result) => matches(result, options.filters)).slice(0, options.limit);
}
