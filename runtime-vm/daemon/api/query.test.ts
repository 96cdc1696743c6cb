import { describe, expect, it } from 'vitest';
import { boolValue, intValue, matchesLabels, parseFilters, parseTimestamp } from './query';

describe('query parsing', () => {
  it('follows moby BoolValue: only "", 0, no, false, none (any case) are false', () => {
    const q = new URLSearchParams('a=1&b=true&c=True&d=False&e=0&f=no&g=NONE&h=&i=yes');
    expect(['a', 'b', 'c', 'i'].map((k) => boolValue(q, k))).toEqual([true, true, true, true]);
    expect(['d', 'e', 'f', 'g', 'h'].map((k) => boolValue(q, k))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(boolValue(q, 'absent', true)).toBe(true);
  });

  it('parses integers and names the bad parameter', () => {
    const q = new URLSearchParams('t=5&bad=x');
    expect(intValue(q, 't', 10)).toBe(5);
    expect(intValue(q, 'missing', 10)).toBe(10);
    expect(() => intValue(q, 'bad', 1)).toThrow(/invalid value for bad/);
  });

  it('accepts filters in map and array form and rejects unknown keys', () => {
    const map = new URLSearchParams({
      filters: '{"label":{"a=b":true,"c":true},"dangling":{"true":true}}',
    });
    expect(parseFilters(map, ['label', 'dangling'])).toEqual(
      new Map([
        ['label', ['a=b', 'c']],
        ['dangling', ['true']],
      ]),
    );
    const array = new URLSearchParams({ filters: '{"label":["a=b"]}' });
    expect(parseFilters(array, ['label']).get('label')).toEqual(['a=b']);
    expect(() =>
      parseFilters(new URLSearchParams({ filters: '{"bogus":["x"]}' }), ['label']),
    ).toThrow("Invalid filter 'bogus'");
    expect(() => parseFilters(new URLSearchParams({ filters: 'nope' }), ['label'])).toThrow(
      /not JSON/,
    );
  });

  it('matches label filters by key or key=value', () => {
    expect(matchesLabels({ a: 'b', c: '' }, ['a=b', 'c'])).toBe(true);
    expect(matchesLabels({ a: 'x' }, ['a=b'])).toBe(false);
    expect(matchesLabels(null, ['a'])).toBe(false);
  });

  it('parses Docker timestamps: unix seconds, RFC 3339 and relative durations', () => {
    expect(parseTimestamp('1700000000.5', 'since')).toBe(1_700_000_000_500);
    expect(parseTimestamp('2024-01-01T00:00:00Z', 'since')).toBe(
      Date.parse('2024-01-01T00:00:00Z'),
    );
    expect(parseTimestamp('10m', 'until', 1_000_000)).toBe(1_000_000 - 600_000);
    expect(() => parseTimestamp('yesterday', 'until')).toThrow(/invalid value for until/);
  });
});
