import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles up to the ceiling, and a healthy run starts over', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 500, healthyAfterMs: 10_000 });
    expect([backoff.next(0), backoff.next(0), backoff.next(0), backoff.next(0)]).toEqual([
      100, 200, 400, 500,
    ]);
    expect(backoff.consecutiveFailures).toBe(4);
    expect(backoff.next(10_000)).toBe(100);
    backoff.next(0);
    backoff.reset();
    expect(backoff.next(0)).toBe(100);
  });
});
