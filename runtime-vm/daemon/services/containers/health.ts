// Health checks with Docker's semantics: a probe every Interval (StartInterval during the start
// period), Timeout per probe, Retries consecutive failures to turn unhealthy, failures inside
// StartPeriod not counted, the last 5 results kept, and `health_status: ...` events on change.
import type { Logger } from '../../logger';
import type { RuntimeDriver } from '../../drivers/runtime/runtime-driver';
import type { ContainerRegistry } from './registry';
import type { ContainerState, HealthConfig, HealthLogEntry } from './types';

const second = 1_000_000_000;
const defaults = {
  interval: 30 * second,
  timeout: 30 * second,
  startPeriod: 0,
  startInterval: 5 * second,
  retries: 3,
};
const keptResults = 5;
const maxOutput = 4096;

export type Health = NonNullable<ContainerState['Health']>;

/** The command a Healthcheck.Test runs, or undefined when checks are off (NONE or empty). */
export function probeCommand(test: readonly string[] | undefined): string[] | undefined {
  const [kind, ...rest] = test ?? [];
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export interface ProbeOutcome {
  exitCode: number;
  output: string;
  start: Date;
  end: Date;
}

/** The health after one probe; pure, so the state machine is unit-tested. */
export function applyProbe(
  health: Health,
  outcome: ProbeOutcome,
  inStartPeriod: boolean,
  retries: number,
): Health {
  const entry: HealthLogEntry = {
    Start: outcome.start.toISOString(),
    End: outcome.end.toISOString(),
    ExitCode: outcome.exitCode,
    Output: outcome.output,
  };
  const log = [...health.Log, entry].slice(-keptResults);
  if (outcome.exitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  if (inStartPeriod && health.Status === 'starting') return { ...health, Log: log };
  const streak = health.FailingStreak + 1;
  return {
    Status: streak >= retries ? 'unhealthy' : health.Status,
    FailingStreak: streak,
    Log: log,
  };
}

function settings(config: HealthConfig) {
  const pick = (value: number | undefined, fallback: number) =>
    value && value > 0 ? value : fallback;
  return {
    intervalMs: pick(config.Interval, defaults.interval) / 1e6,
    timeoutMs: pick(config.Timeout, defaults.timeout) / 1e6,
    startPeriodMs: pick(config.StartPeriod, defaults.startPeriod) / 1e6,
    startIntervalMs: pick(config.StartInterval, defaults.startInterval) / 1e6,
    retries: pick(config.Retries, defaults.retries),
  };
}

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly registry: ContainerRegistry,
    private readonly runtime: RuntimeDriver,
    private readonly logger: Logger,
  ) {}

  /** Begins probing a container that just started (or was re-adopted). */
  start(id: string, fresh: boolean): void {
    const record = this.registry.byId(id);
    const config = record?.Config.Healthcheck;
    if (!record || !config || !probeCommand(config.Test)) return;
    if (fresh || !record.State.Health)
      record.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    this.schedule(id);
  }

  stop(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(id: string): void {
    const record = this.registry.byId(id);
    if (!record?.Config.Healthcheck) return;
    const s = settings(record.Config.Healthcheck);
    const inStart = Date.now() - Date.parse(record.State.StartedAt) < s.startPeriodMs;
    const delay =
      inStart && record.Config.Healthcheck.StartInterval ? s.startIntervalMs : s.intervalMs;
    this.stop(id);
    const timer = setTimeout(() => {
      void this.probe(id).finally(() => {
        if (this.timers.get(id) === timer) this.schedule(id);
      });
    }, delay);
    this.timers.set(id, timer);
  }

  private async probe(id: string): Promise<void> {
    const record = this.registry.byId(id);
    const config = record?.Config.Healthcheck;
    const argv = probeCommand(config?.Test ?? undefined);
    if (!record || !config || !argv || !record.State.Running || record.State.Paused) return;
    const s = settings(config);
    const start = new Date();
    const result = await this.runtime
      .runInContainer(id, argv, { timeoutMs: s.timeoutMs, maxOutput })
      .catch((error: unknown) => ({ exitCode: -1, output: String(error), timedOut: false }));
    if (!record.State.Running || !record.State.Health) return;
    const outcome: ProbeOutcome = result.timedOut
      ? {
          exitCode: -1,
          output: `Health check exceeded timeout (${s.timeoutMs / 1000}s)`,
          start,
          end: new Date(),
        }
      : { exitCode: result.exitCode, output: result.output, start, end: new Date() };
    const inStartPeriod = start.getTime() - Date.parse(record.State.StartedAt) < s.startPeriodMs;
    const before = record.State.Health.Status;
    record.State.Health = applyProbe(record.State.Health, outcome, inStartPeriod, s.retries);
    await this.registry.save(record).catch((error: unknown) => {
      this.logger.warn('saving health state failed', { id, error });
    });
    if (record.State.Health.Status !== before) {
      this.registry.emit(record, `health_status: ${record.State.Health.Status}`);
    }
  }
}
