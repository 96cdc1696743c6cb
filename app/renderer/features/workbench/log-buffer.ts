// The renderer's bounded log buffer and the filtered view over it. Lines live in parallel
// arrays (text, time in ms, stream) so a million lines stay compact; the oldest are dropped in
// chunks past the limit. Filters and search update incrementally as batches arrive.
import type { LogLine } from '../../../shared/workbench-types';
import { detectLevel, stripAnsi, type LogLevel } from './ansi';

/** Levels by severity; index 0 = the line declares none. */
export const logLevels: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const levelCode: Record<LogLevel, number> = { error: 1, warn: 2, info: 3, debug: 4 };

export const defaultLineLimit = 1_000_000;

export class LogBuffer {
  private texts: string[] = [];
  private plains: (string | undefined)[] = [];
  private times: number[] = [];
  private stderr: boolean[] = [];
  /** 0 = no level, else 1 + index in logLevels (structured JSON / logfmt lines). */
  private levels: number[] = [];
  /** Index into `sourceNames` per line, -1 for none (merged project logs tag lines). */
  private sources: number[] = [];
  private readonly sourceIndex = new Map<string, number>();
  /** Every container name seen in merged logs, in order of first appearance. */
  readonly sourceNames: string[] = [];
  /** How many lines ever declared a level: the level filter is offered once this is > 0. */
  structuredLines = 0;
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
      const level = detectLevel(plain);
      this.levels.push(level ? levelCode[level] : 0);
      if (level) this.structuredLines++;
      this.sources.push(line.source === undefined ? -1 : this.sourceOf(line.source));
    }
    if (this.texts.length > this.limit) {
      // Drop 1% extra at once: one splice per many batches, not one per batch.
      const drop = this.texts.length - this.limit + Math.floor(this.limit / 100);
      this.texts.splice(0, drop);
      this.plains.splice(0, drop);
      this.times.splice(0, drop);
      this.stderr.splice(0, drop);
      this.levels.splice(0, drop);
      this.sources.splice(0, drop);
      this.base += drop;
    }
  }

  private sourceOf(name: string): number {
    let index = this.sourceIndex.get(name);
    if (index === undefined) {
      index = this.sourceNames.length;
      this.sourceNames.push(name);
      this.sourceIndex.set(name, index);
    }
    return index;
  }

  clear(): void {
    this.base += this.texts.length;
    this.texts = [];
    this.plains = [];
    this.times = [];
    this.stderr = [];
    this.levels = [];
    this.sources = [];
    this.structuredLines = 0;
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
  level(line: number): LogLevel | undefined {
    const code = this.levels[line - this.base] ?? 0;
    return code ? logLevels[code - 1] : undefined;
  }
  /** Index of the line's container in sourceNames, or -1. */
  sourceIndexOf(line: number): number {
    return this.sources[line - this.base] ?? -1;
  }
  source(line: number): string | undefined {
    return this.sourceNames[this.sourceIndexOf(line)];
  }
}

/** 'all', or the least severe level still shown ('warn' = warnings and errors). */
export type LevelFilter = 'all' | LogLevel;

export interface LogFilter {
  stdout: boolean;
  stderr: boolean;
  query: string;
  regex: boolean;
  caseSensitive: boolean;
  onlyMatches: boolean;
  /** Structured lines: hide lines below this level (and lines without one). */
  level: LevelFilter;
}

export const defaultFilter: LogFilter = {
  stdout: true,
  stderr: true,
  query: '',
  regex: false,
  caseSensitive: false,
  onlyMatches: false,
  level: 'all',
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
  /** 0 = every level; else lines whose level code is 1..maxLevelCode. */
  private maxLevelCode = 0;

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
    this.maxLevelCode = filter.level === 'all' ? 0 : levelCode[filter.level];
    const filtering =
      !filter.stdout ||
      !filter.stderr ||
      this.maxLevelCode > 0 ||
      (filter.onlyMatches && this.tester);
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
      if (this.maxLevelCode > 0 && !this.levelShown(line)) continue;
      const match = this.matchesQuery(line);
      if (match) this.matches.push(line);
      if (this.shown && (!this.filter.onlyMatches || !this.tester || match)) this.shown.push(line);
    }
  }

  private levelShown(line: number): boolean {
    const level = this.buffer.level(line);
    return level !== undefined && levelCode[level] <= this.maxLevelCode;
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
      const source = this.buffer.source(line);
      out.push(prefix + (source === undefined ? '' : `${source} | `) + this.buffer.plain(line));
    }
    return out.join('\n') + (out.length ? '\n' : '');
  }
}
