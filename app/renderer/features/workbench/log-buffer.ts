// The renderer's bounded log buffer and the filtered view over it. Lines live in parallel
// arrays (text, time in ms, stream) so a million lines stay compact; the oldest are dropped in
// chunks past the limit. Filters and search update incrementally as batches arrive.
import type { LogLine } from '../../../shared/workbench-types';
import { stripAnsi } from './ansi';

export const defaultLineLimit = 1_000_000;

export class LogBuffer {
  private texts: string[] = [];
  private plains: (string | undefined)[] = [];
  private times: number[] = [];
  private stderr: boolean[] = [];
  /** Absolute number of the first line kept (lines before it were dropped). */
  base = 0;

  constructor(readonly limit = defaultLineLimit) {}

  get length(): number {
    return this.texts.length;
  }

  /** Absolute number one past the last line. */
  get end(): number {
    return this.base + this.texts.length;
  }

  append(lines: LogLine[]): void {
    for (const line of lines) {
      this.texts.push(line.text);
      const plain = stripAnsi(line.text);
      this.plains.push(plain === line.text ? undefined : plain);
      this.times.push(line.time ? Date.parse(line.time) : NaN);
      this.stderr.push(line.stream === 'stderr');
    }
    if (this.texts.length > this.limit) {
      // Drop 1% extra at once: one splice per many batches, not one per batch.
      const drop = this.texts.length - this.limit + Math.floor(this.limit / 100);
      this.texts.splice(0, drop);
      this.plains.splice(0, drop);
      this.times.splice(0, drop);
      this.stderr.splice(0, drop);
      this.base += drop;
    }
  }

  clear(): void {
    this.base += this.texts.length;
    this.texts = [];
    this.plains = [];
    this.times = [];
    this.stderr = [];
  }

  has(line: number): boolean {
    return line >= this.base && line < this.end;
  }
  text(line: number): string {
    return this.texts[line - this.base] ?? '';
  }
  plain(line: number): string {
    const index = line - this.base;
    return this.plains[index] ?? this.texts[index] ?? '';
  }
  time(line: number): number {
    return this.times[line - this.base] ?? NaN;
  }
  isStderr(line: number): boolean {
    return this.stderr[line - this.base] ?? false;
  }
}

export interface LogFilter {
  stdout: boolean;
  stderr: boolean;
  query: string;
  regex: boolean;
  caseSensitive: boolean;
  onlyMatches: boolean;
}

export const defaultFilter: LogFilter = {
  stdout: true,
  stderr: true,
  query: '',
  regex: false,
  caseSensitive: false,
  onlyMatches: false,
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The search as a RegExp (global, for highlighting), or an error naming the bad pattern. */
export function compileQuery(filter: LogFilter): RegExp | undefined {
  if (!filter.query) return undefined;
  const source = filter.regex ? filter.query : escapeRegExp(filter.query);
  try {
    return new RegExp(source, filter.caseSensitive ? 'g' : 'gi');
  } catch (error) {
    throw new Error(`invalid regular expression: ${(error as Error).message}`, { cause: error });
  }
}

/** Which lines are shown (absolute numbers) and which of them match the search. */
export class LogView {
  /** undefined = every buffered line, in order (no copy for the common unfiltered case). */
  private shown: number[] | undefined;
  matches: number[] = [];
  private pattern: RegExp | undefined;
  private tester: RegExp | undefined;

  constructor(
    private readonly buffer: LogBuffer,
    private filter: LogFilter = defaultFilter,
  ) {
    this.setFilter(filter);
  }

  get count(): number {
    return this.shown ? this.shown.length : this.buffer.length;
  }

  /** Absolute line number at a view position. */
  lineAt(position: number): number {
    return this.shown ? this.shown[position]! : this.buffer.base + position;
  }

  /** View position of an absolute line (binary search; -1 when not shown). */
  positionOf(line: number): number {
    if (!this.shown) return this.buffer.has(line) ? line - this.buffer.base : -1;
    let low = 0;
    let high = this.shown.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const value = this.shown[mid]!;
      if (value === line) return mid;
      if (value < line) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  get highlight(): RegExp | undefined {
    return this.pattern;
  }

  setFilter(filter: LogFilter): void {
    this.filter = filter;
    this.pattern = compileQuery(filter);
    this.tester = this.pattern
      ? new RegExp(this.pattern.source, this.pattern.flags.replace('g', ''))
      : undefined;
    this.shown = undefined;
    this.matches = [];
    const filtering = !filter.stdout || !filter.stderr || (filter.onlyMatches && this.tester);
    if (filtering) this.shown = [];
    this.consider(this.buffer.base);
  }

  private matchesQuery(line: number): boolean {
    return this.tester ? this.tester.test(this.buffer.plain(line)) : false;
  }

  /** Takes in lines from `from` (absolute) to the buffer's end; call after every append. */
  consider(from: number): void {
    this.trim();
    const start = Math.max(from, this.buffer.base);
    for (let line = start; line < this.buffer.end; line++) {
      const stderr = this.buffer.isStderr(line);
      if (stderr ? !this.filter.stderr : !this.filter.stdout) continue;
      const match = this.matchesQuery(line);
      if (match) this.matches.push(line);
      if (this.shown && (!this.filter.onlyMatches || !this.tester || match)) this.shown.push(line);
    }
  }

  /** Forgets lines the buffer dropped. */
  private trim(): void {
    const base = this.buffer.base;
    const firstKept = (list: number[]) => {
      let index = 0;
      while (index < list.length && list[index]! < base) index++;
      return index;
    };
    const dropMatches = firstKept(this.matches);
    if (dropMatches) this.matches.splice(0, dropMatches);
    if (this.shown) {
      const dropShown = firstKept(this.shown);
      if (dropShown) this.shown.splice(0, dropShown);
    }
  }

  /** Every shown line as text, for download. */
  toText(withTimestamps: boolean): string {
    const out: string[] = [];
    for (let position = 0; position < this.count; position++) {
      const line = this.lineAt(position);
      const time = this.buffer.time(line);
      const prefix =
        withTimestamps && Number.isFinite(time) ? `${new Date(time).toISOString()} ` : '';
      out.push(prefix + this.buffer.plain(line));
    }
    return out.join('\n') + (out.length ? '\n' : '');
  }
}
