import { describe, expect, it } from 'vitest';
import { newestVersion } from './node-runtime';

describe('newestVersion', () => {
  it('orders by semver, not by the order npm lists them', () => {
    expect(newestVersion(['20.9.0', '20.10.1', '20.8.0', '20.10.0'])).toBe('20.10.1');
    expect(newestVersion([])).toBeUndefined();
  });
});
