// Matches a method + unversioned path against the route table. Patterns use `{name}` for one
// segment and `{name:.*}` for the rest of the path (image names contain slashes, like moby's mux).
import type { Route } from './route';

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
  /** Static routes win over one-segment params, which win over greedy params. */
  rank: number;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let rank = 0;
  let source = '';
  let rest = route.path;
  const paramPattern = /\{([A-Za-z_][A-Za-z0-9_]*)(:\.\*)?\}/;
  for (;;) {
    const m = paramPattern.exec(rest);
    if (!m) break;
    source += escapeRegex(rest.slice(0, m.index));
    names.push(m[1] as string);
    if (m[2]) {
      source += '(.+)';
      rank = Math.max(rank, 2);
    } else {
      source += '([^/]+)';
      rank = Math.max(rank, 1);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  source += escapeRegex(rest);
  return { route, regex: new RegExp(`^${source}$`), names, rank };
}

export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map(compile).sort((a, b) => a.rank - b.rank);
  }

  match(method: string, path: string): RouteMatch | undefined {
    // HEAD falls back to GET, as Go's mux does for /_ping and friends.
    return this.find(method, path) ?? (method === 'HEAD' ? this.find('GET', path) : undefined);
  }

  /** True when some route serves this path with another method (for a clearer 404 message). */
  hasPath(path: string): boolean {
    return this.compiled.some((c) => c.regex.test(path));
  }

  private find(method: string, path: string): RouteMatch | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const m = c.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route: c.route, params };
    }
    return undefined;
  }
}
