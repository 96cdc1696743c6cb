import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../shared/workbench-types';
import { TimeOrderedMerger, mergeMaxLines, timeKey } from './log-merge';

const line = (time: string, text: string, source: string): LogLine => ({
  stream: 'stdout',
  time,
  text,
  source,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('timeKey', () => {
  it('orders trimmed, fixed and missing fractions the same way', () => {
    const keys = [
      '2024-01-01T00:00:01Z',
      '2024-01-01T00:00:00.5Z',
      '2024-01-01T00:00:00.123456789Z',
      '2024-01-01T00:00:00.12Z',
    ].map(timeKey);
    expect([...keys].sort()).toEqual([keys[3], keys[2], keys[1], keys[0]]);
  });

  it('converts offsets to UTC', () => {
    expect(timeKey('2024-01-01T02:00:00.5+02:00')).toBe(timeKey('2024-01-01T00:00:00.5Z'));
  });
});

describe('TimeOrderedMerger', () => {
  it('emits the lines of one window sorted by time, keeping each source in order', () => {
    vi.useFakeTimers();
    const out: LogLine[][] = [];
    const merger = new TimeOrderedMerger((lines) => out.push(lines), 100);
    merger.push([line('2024-01-01T00:00:01Z', 'a1', 'a'), line('2024-01-01T00:00:03Z', 'a2', 'a')]);
    merger.push([line('2024-01-01T00:00:02Z', 'b1', 'b'), line('2024-01-01T00:00:03Z', 'b2', 'b')]);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(out.map((batch) => batch.map((entry) => entry.text))).toEqual([
      ['a1', 'b1', 'a2', 'b2'],
    ]);
    merger.dispose();
  });

  it('closes the window early when too many lines wait', () => {
    const out: LogLine[][] = [];
    const merger = new TimeOrderedMerger((lines) => out.push(lines), 60_000);
    merger.push(
      Array.from({ length: mergeMaxLines }, (_, index) =>
        line(`2024-01-01T00:00:00.${String(index).padStart(9, '0')}Z`, String(index), 'a'),
      ),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toHaveLength(mergeMaxLines);
    merger.dispose();
  });

  it('drops waiting lines on dispose', () => {
    vi.useFakeTimers();
    const out: LogLine[][] = [];
    const merger = new TimeOrderedMerger((lines) => out.push(lines), 100);
    merger.push([line('2024-01-01T00:00:01Z', 'x', 'a')]);
    merger.dispose();
    vi.advanceTimersByTime(1000);
    expect(out).toEqual([]);
  });
});
