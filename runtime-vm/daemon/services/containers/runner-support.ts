// Small helpers of the container runner: deferred promises, phase timings for the debug log,
// timeouts, signal numbers and dockerd's exit codes for processes that never ran.
import { constants as osConstants } from 'node:os';

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Milliseconds spent in each named phase, for the debug log of a start or an exit. */
export function phaseTimer(): {
  mark(phase: string): void;
  /** Records the time since the last mark without ending the phase (for work side by side). */
  note(part: string): void;
  phases: Record<string, number>;
} {
  let last = performance.now();
  const phases: Record<string, number> = {};
  const since = (from: number) => Math.round((performance.now() - from) * 10) / 10;
  return {
    phases,
    mark(phase) {
      phases[phase] = since(last);
      last = performance.now();
    },
    note(part) {
      phases[part] = since(last);
    },
  };
}

/** dockerd's exit codes for processes that never ran. */
export function startFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied/i.test(message)) return 126;
  return 128;
}

export function raceTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Event attribute `signal` is the number, as dockerd reports it. */
export function signalNumber(signal: string): string {
  if (/^\d+$/.test(signal)) return signal;
  const name = signal.toUpperCase().startsWith('SIG')
    ? signal.toUpperCase()
    : `SIG${signal.toUpperCase()}`;
  const value = (osConstants.signals as Record<string, number | undefined>)[name];
  return value === undefined ? signal : String(value);
}
