// GET /networks and POST /networks/prune filters, with moby's matching rules.
import { InvalidArgumentError } from '../../errors';
import type { NetworkRecord } from './network-model';

export type FilterMap = Map<string, string[]>;

function labelMatches(labels: Record<string, string>, entry: string): boolean {
  const eq = entry.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, entry);
  const key = entry.slice(0, eq);
  return Object.prototype.hasOwnProperty.call(labels, key) && labels[key] === entry.slice(eq + 1);
}

function danglingWanted(values: string[]): boolean | undefined {
  if (values.length === 0) return undefined;
  const normalized = new Set(values.map((value) => value.toLowerCase()));
  const wantsTrue = normalized.has('true') || normalized.has('1');
  const wantsFalse = normalized.has('false') || normalized.has('0');
  if (normalized.size > (wantsTrue ? 1 : 0) + (wantsFalse ? 1 : 0) || (!wantsTrue && !wantsFalse)) {
    throw new InvalidArgumentError(`invalid filter 'dangling=${values.join(',')}'`);
  }
  if (wantsTrue && wantsFalse) return undefined;
  return wantsTrue;
}

/**
 * moby's semantics: keys are AND-ed; values of one key are OR-ed, except labels (all must match).
 * `id` and `name` match by substring, like dockerd. `dangling=true` means no endpoints and not
 * predefined.
 */
export function matchesNetworkFilters(
  record: NetworkRecord,
  filters: FilterMap,
  endpointCount: number,
): boolean {
  const any = (key: string, test: (value: string) => boolean): boolean => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  for (const value of filters.get('type') ?? []) {
    if (value !== 'custom' && value !== 'builtin') {
      throw new InvalidArgumentError(`invalid filter: 'type'='${value}'`);
    }
  }
  if (!any('driver', (value) => value === record.driver)) return false;
  if (!any('id', (value) => record.id.includes(value))) return false;
  if (!any('name', (value) => record.name.includes(value))) return false;
  if (!any('scope', (value) => value === 'local')) return false;
  if (!any('type', (value) => (value === 'builtin') === record.predefined)) return false;
  if (!(filters.get('label') ?? []).every((entry) => labelMatches(record.labels, entry)))
    return false;
  if ((filters.get('label!') ?? []).some((entry) => labelMatches(record.labels, entry)))
    return false;
  const dangling = danglingWanted(filters.get('dangling') ?? []);
  if (dangling !== undefined) {
    const isDangling = !record.predefined && endpointCount === 0;
    if (isDangling !== dangling) return false;
  }
  return true;
}
