// Whether a container that just exited restarts, and after how long (Docker's rules: the delay
// starts at 100 ms and doubles per restart, capped at a minute, and resets after 10 s of uptime).
import type { RestartPolicy } from './types';

export const initialRestartDelayMs = 100;
export const maxRestartDelayMs = 60_000;
const stableUptimeMs = 10_000;

export interface ExitFacts {
  exitCode: number;
  /** The user stopped or killed it (docker stop/kill), or the daemon is shutting it down. */
  manuallyStopped: boolean;
  restartCount: number;
}

export function shouldRestart(policy: RestartPolicy | undefined, facts: ExitFacts): boolean {
  switch (policy?.Name) {
    case 'always':
      return !facts.manuallyStopped;
    case 'unless-stopped':
      return !facts.manuallyStopped;
    case 'on-failure': {
      if (facts.manuallyStopped || facts.exitCode === 0) return false;
      const max = policy.MaximumRetryCount ?? 0;
      return max === 0 || facts.restartCount < max;
    }
    default:
      return false;
  }
}

/** The next backoff delay given the previous one and how long the last run lasted. */
export function nextRestartDelay(previousDelayMs: number, uptimeMs: number): number {
  if (uptimeMs >= stableUptimeMs || previousDelayMs <= 0) return initialRestartDelayMs;
  return Math.min(previousDelayMs * 2, maxRestartDelayMs);
}
