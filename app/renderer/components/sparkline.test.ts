import { describe, expect, it } from 'vitest';
import { appendTrails } from '../stores/stats-trail';
import { sparklinePoints } from './sparkline-points';

describe('sparklinePoints', () => {
  it('spreads values over the width and scales them to the largest', () => {
    expect(sparklinePoints([0, 50, 100], 40, 11)).toBe('0.0,10.5 20.0,5.5 40.0,0.5');
  });

  it('scales to a fixed max when given and clamps values above it', () => {
    expect(sparklinePoints([0, 200], 10, 11, 100)).toBe('0.0,10.5 10.0,0.5');
    expect(sparklinePoints([25, 25], 10, 11, 100)).toBe('0.0,8.0 10.0,8.0');
  });

  it('draws nothing with fewer than two values', () => {
    expect(sparklinePoints([], 10, 10)).toBe('');
    expect(sparklinePoints([3], 10, 10)).toBe('');
  });
});

describe('appendTrails', () => {
  const snapshot = (id: string, cpuPercent: number, memoryBytes: number) => ({
    id,
    cpuPercent,
    memoryBytes,
    memoryLimitBytes: 0,
  });

  it('adds one point per round and keeps at most `limit` points', () => {
    let trails = appendTrails({}, [snapshot('a', 1, 10)], 3);
    for (let round = 2; round <= 5; round++)
      trails = appendTrails(trails, [snapshot('a', round, round * 10)], 3);
    expect(trails.a).toEqual({ cpu: [3, 4, 5], memory: [30, 40, 50] });
  });

  it('forgets containers that are no longer polled', () => {
    const trails = appendTrails({ gone: { cpu: [1], memory: [1] } }, [snapshot('b', 2, 20)]);
    expect(Object.keys(trails)).toEqual(['b']);
  });
});
