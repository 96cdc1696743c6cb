// Query-string parsing with moby's semantics: BoolValue, filters in map and array form.
import { InvalidArgumentError } from '../errors';

const falseWords = new Set(['', '0', 'no', 'false', 'none']);

/** moby's BoolValue: true for anything except "", 0, no, false, none (any case). Absent → fallback. */
export function boolValue(query: URLSearchParams, name: string, fallback = false): boolean {
  const raw = query.get(name);
  if (raw === null) return fallback;
  return !falseWords.has(raw.trim().toLowerCase());
}

/** An integer parameter; absent or empty → fallback, garbage → 400 naming the parameter. */
export function intValue(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new InvalidArgumentError(
      `invalid value for ${name}: ${JSON.stringify(raw)} is not an integer`,
    );
  }
  return value;
}

/** Parsed `filters`: each key maps to the list of values the client gave. */
export type Filters = Map<string, string[]>;

/**
 * Parses `filters=` JSON in both forms: map `{"label":{"a=b":true}}` (CLI) and array
 * `{"label":["a=b"]}` (dockerode, compose v1, docker-py). Keys outside `allowed` → 400.
 */
export function parseFilters(query: URLSearchParams, allowed: readonly string[]): Filters {
  const raw = query.get('filters');
  const filters: Filters = new Map();
  if (raw === null || raw.trim() === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`invalid filters: ${JSON.stringify(raw)} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('invalid filters: expected a JSON object');
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw new InvalidArgumentError(`Invalid filter '${key}'`);
    const values: string[] = [];
    if (Array.isArray(value)) {
      for (const item of value) values.push(String(item));
    } else if (value !== null && typeof value === 'object') {
      for (const [item, enabled] of Object.entries(value as Record<string, unknown>)) {
        if (enabled !== false) values.push(item);
      }
    } else if (typeof value === 'string') {
      values.push(value);
    } else {
      throw new InvalidArgumentError(`invalid filters: values of '${key}' must be a list or a map`);
    }
    filters.set(key, values);
  }
  return filters;
}

/** Label filter match: each wanted entry is `key` (present) or `key=value` (equal). */
export function matchesLabels(
  labels: Record<string, string> | null | undefined,
  wanted: readonly string[],
): boolean {
  const actual = labels ?? {};
  return wanted.every((entry) => {
    const eq = entry.indexOf('=');
    if (eq < 0) return Object.prototype.hasOwnProperty.call(actual, entry);
    const key = entry.slice(0, eq);
    return Object.prototype.hasOwnProperty.call(actual, key) && actual[key] === entry.slice(eq + 1);
  });
}

/**
 * Docker timestamps for since/until: seconds[.nanoseconds], RFC 3339, or a duration like `10m`
 * relative to now. Returns milliseconds since the epoch.
 */
export function parseTimestamp(raw: string, name: string, nowMs = Date.now()): number {
  const value = raw.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(value);
  if (duration) {
    const unitMs: Record<string, number> = {
      ns: 1e-6,
      us: 1e-3,
      µs: 1e-3,
      ms: 1,
      s: 1000,
      m: 60_000,
      h: 3_600_000,
    };
    return nowMs - Number(duration[1]) * (unitMs[duration[2] ?? 's'] ?? 1000);
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) {
    throw new InvalidArgumentError(
      `invalid value for ${name}: ${JSON.stringify(raw)} is not a timestamp`,
    );
  }
  return parsed;
}
