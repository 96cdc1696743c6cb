// Exponential backoff for restarts (berthd in the guest, the VM on the host): the delay doubles
// per failure up to a ceiling, and a run that lasted long enough counts as healthy and resets it.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the delay to initialMs. */
  healthyAfterMs: number;
}

export class Backoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /** The delay before the next restart, given how long the last run lasted. */
  next(lastRunMs: number): number {
    if (lastRunMs >= this.policy.healthyAfterMs) this.failures = 0;
    const delay = Math.min(this.policy.initialMs * 2 ** this.failures, this.policy.maxMs);
    this.failures += 1;
    return delay;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
