// Merges the logs of several containers into one stream: lines wait a short window, then leave
// sorted by timestamp (stable, so one container's order is kept). The window is long enough for
// the tails the engine sends at once to interleave correctly, and short enough to feel live.
import type { LogLine } from '../../shared/workbench-types';

export const mergeWindowMs = 100;
/** Past this many waiting lines the window closes early (a flat-out container). */
export const mergeMaxLines = 5000;

/** A sortable key for an RFC 3339 timestamp whose fraction may be trimmed or missing. */
export function timeKey(time: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!match) return time;
  const [, seconds, fraction = '', zone] = match;
  if (zone === 'Z') return `${seconds}.${fraction.padEnd(9, '0').slice(0, 9)}`;
  // An offset: convert to UTC so keys from differently configured engines compare.
  const ms = Date.parse(`${seconds}${zone}`);
  if (!Number.isFinite(ms)) return time;
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction.padEnd(9, '0').slice(0, 9)}`;
}

export class TimeOrderedMerger {
  private pending: { key: string; line: LogLine }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly flushTo: (lines: LogLine[]) => void,
    private readonly windowMs = mergeWindowMs,
  ) {}

  push(lines: readonly LogLine[]): void {
    for (const line of lines) this.pending.push({ key: timeKey(line.time), line });
    if (this.pending.length >= mergeMaxLines) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    // Array.prototype.sort is stable: equal keys keep arrival order.
    pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.flushTo(pending.map((entry) => entry.line));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
