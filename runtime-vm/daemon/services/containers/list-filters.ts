// `GET /containers/json` filters with dockerd's semantics: values of one key are OR-ed, keys are
// AND-ed. Pure over container records, so every filter is unit-testable.
import { InvalidArgumentError } from '../../errors';
import type { ContainerRecord } from './types';

export const containerFilterKeys = [
  'id',
  'name',
  'label',
  'status',
  'exited',
  'ancestor',
  'before',
  'since',
  'health',
  'network',
  'volume',
  'publish',
  'expose',
  'isolation',
  'is-task',
] as const;

const statuses = new Set([
  'created',
  'restarting',
  'running',
  'removing',
  'paused',
  'exited',
  'dead',
]);

export interface FilterContext {
  /** Finds a container by id, id prefix or name (for before/since). */
  lookup(ref: string): ContainerRecord | undefined;
  /** Whether an image reference (name[:tag], id or id prefix) names this image id. */
  imageMatches(ref: string, record: ContainerRecord): boolean;
}

function labelsMatch(labels: Record<string, string>, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, wanted);
  return labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

function portMatches(ports: string[], wanted: string): boolean {
  const [port = '', proto = 'tcp'] = wanted.split('/');
  return ports.some((p) => p === `${port}/${proto}`);
}

/** Returns the records (already sorted newest first) that pass every filter. */
export function applyFilters(
  records: ContainerRecord[],
  filters: Map<string, string[]>,
  context: FilterContext,
): ContainerRecord[] {
  for (const status of filters.get('status') ?? []) {
    if (!statuses.has(status)) throw new InvalidArgumentError(`Invalid filter 'status=${status}'`);
  }
  const exited = (filters.get('exited') ?? []).map((value) => {
    const code = Number(value);
    if (!Number.isInteger(code)) throw new InvalidArgumentError(`Invalid filter 'exited=${value}'`);
    return code;
  });
  const refTime = (key: string) => {
    const values = filters.get(key) ?? [];
    if (values.length === 0) return undefined;
    const record = context.lookup(values[0] ?? '');
    if (!record) throw new InvalidArgumentError(`No such container: ${values[0]}`);
    return Date.parse(record.Created);
  };
  const before = refTime('before');
  const since = refTime('since');
  const namePatterns = (filters.get('name') ?? []).map((value) => {
    try {
      return new RegExp(value.replace(/^\//, ''));
    } catch {
      throw new InvalidArgumentError(`Invalid filter 'name=${value}': not a regular expression`);
    }
  });
  const anyOf = (key: string, test: (value: string) => boolean) => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  return records.filter((record) => {
    const name = record.Name.slice(1);
    const labels = record.Config.Labels ?? {};
    const created = Date.parse(record.Created);
    if (!anyOf('id', (v) => record.Id.startsWith(v))) return false;
    if (namePatterns.length > 0 && !namePatterns.some((pattern) => pattern.test(name)))
      return false;
    if (!(filters.get('label') ?? []).every((v) => labelsMatch(labels, v))) return false;
    if (!anyOf('status', (v) => v === record.State.Status)) return false;
    if (
      exited.length > 0 &&
      (record.State.Running ||
        record.State.StartedAt === '0001-01-01T00:00:00Z' ||
        !exited.includes(record.State.ExitCode))
    )
      return false;
    if (!anyOf('ancestor', (v) => context.imageMatches(v, record))) return false;
    if (before !== undefined && created >= before) return false;
    if (since !== undefined && created <= since) return false;
    if (!anyOf('health', (v) => (record.State.Health?.Status ?? 'none') === v)) return false;
    // Every network the container is on (a second --network, or a connect), not just the first.
    const networks = Object.keys(record.NetworkingConfig?.EndpointsConfig ?? {});
    if (!anyOf('network', (v) => record.HostConfig.NetworkMode === v || networks.includes(v)))
      return false;
    if (
      !anyOf(
        'volume',
        (v) =>
          (record.HostConfig.Binds ?? []).some((b) => b.split(':').slice(0, 2).includes(v)) ||
          (record.HostConfig.Mounts ?? []).some((m) => m.Source === v || m.Target === v),
      )
    )
      return false;
    if (!anyOf('publish', (v) => portMatches(Object.keys(record.HostConfig.PortBindings ?? {}), v)))
      return false;
    if (!anyOf('expose', (v) => portMatches(Object.keys(record.Config.ExposedPorts ?? {}), v)))
      return false;
    if (!anyOf('is-task', (v) => v === 'false')) return false;
    if (!anyOf('isolation', (v) => v === 'default')) return false;
    return true;
  });
}

/** `container prune` filters: label, label! and until (timestamp or duration). */
export function pruneMatches(
  record: ContainerRecord,
  filters: Map<string, string[]>,
  nowMs = Date.now(),
): boolean {
  for (const key of filters.keys()) {
    if (key !== 'label' && key !== 'label!' && key !== 'until')
      throw new InvalidArgumentError(`Invalid filter '${key}'`);
  }
  const labels = record.Config.Labels ?? {};
  if (!(filters.get('label') ?? []).every((l) => labelsMatch(labels, l))) return false;
  if ((filters.get('label!') ?? []).some((l) => labelsMatch(labels, l))) return false;
  const until = filters.get('until')?.[0];
  if (until !== undefined && Date.parse(record.Created) >= parseUntil(until, nowMs)) return false;
  return true;
}

function parseUntil(value: string, nowMs: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(\d+)(s|m|h)$/.exec(value);
  if (duration) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 's' | 'm' | 'h'];
    return nowMs - Number(duration[1]) * unit;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError(`invalid value for until: ${value}`);
  return parsed;
}
