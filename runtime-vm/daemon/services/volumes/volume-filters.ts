// GET /volumes and POST /volumes/prune filters, with moby's matching rules.
import { InvalidArgumentError } from '../../errors';
import type { VolumeRecord } from './volume-model';

export type FilterMap = Map<string, string[]>;

function labelMatches(labels: Record<string, string>, entry: string): boolean {
  const eq = entry.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, entry);
  const key = entry.slice(0, eq);
  return Object.prototype.hasOwnProperty.call(labels, key) && labels[key] === entry.slice(eq + 1);
}

export function parseBoolFilter(key: string, values: string[]): boolean | undefined {
  if (values.length === 0) return undefined;
  const result = new Set<boolean>();
  for (const value of values) {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === '1') result.add(true);
    else if (lower === 'false' || lower === '0') result.add(false);
    else throw new InvalidArgumentError(`invalid filter '${key}=${value}'`);
  }
  return result.size === 1 ? [...result][0] : undefined;
}

/** Labels: all given must match; name: substring; driver: exact; dangling: no container refs. */
export function matchesVolumeFilters(
  record: VolumeRecord,
  filters: FilterMap,
  refCount: number,
): boolean {
  const names = filters.get('name') ?? [];
  if (names.length > 0 && !names.some((name) => record.name.includes(name))) return false;
  const drivers = filters.get('driver') ?? [];
  if (drivers.length > 0 && !drivers.includes(record.driver)) return false;
  if (!(filters.get('label') ?? []).every((entry) => labelMatches(record.labels, entry)))
    return false;
  if ((filters.get('label!') ?? []).some((entry) => labelMatches(record.labels, entry)))
    return false;
  const dangling = parseBoolFilter('dangling', filters.get('dangling') ?? []);
  if (dangling !== undefined && (refCount === 0) !== dangling) return false;
  return true;
}
