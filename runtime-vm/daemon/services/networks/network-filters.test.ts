import { describe, expect, it } from 'vitest';
import { matchesNetworkFilters } from './network-filters';
import type { NetworkRecord } from './network-model';

const custom: NetworkRecord = {
  id: 'abcdef0123456789'.repeat(4),
  name: 'shop_backend',
  driver: 'bridge',
  created: '2026-01-01T00:00:00Z',
  internal: false,
  attachable: false,
  predefined: false,
  ipamFromUser: false,
  ipamOptions: null,
  options: {},
  labels: { 'com.docker.compose.project': 'shop' },
};
const builtin: NetworkRecord = {
  ...custom,
  id: '99'.repeat(32),
  name: 'host',
  driver: 'host',
  predefined: true,
  labels: {},
};
const match = (record: NetworkRecord, filters: Record<string, string[]>, endpoints = 0) =>
  matchesNetworkFilters(record, new Map(Object.entries(filters)), endpoints);

describe('network filters', () => {
  it('matches driver, id and name substrings, scope and labels', () => {
    expect(match(custom, { driver: ['bridge'] })).toBe(true);
    expect(match(builtin, { driver: ['bridge'] })).toBe(false);
    expect(match(custom, { id: ['cdef01'] })).toBe(true);
    expect(match(custom, { name: ['backend'] })).toBe(true);
    expect(match(custom, { name: ['front'] })).toBe(false);
    expect(match(custom, { scope: ['local'] })).toBe(true);
    expect(match(custom, { scope: ['swarm'] })).toBe(false);
    expect(match(custom, { label: ['com.docker.compose.project=shop'] })).toBe(true);
    expect(match(custom, { label: ['com.docker.compose.project=web'] })).toBe(false);
  });

  it('matches type and dangling', () => {
    expect(match(custom, { type: ['custom'] })).toBe(true);
    expect(match(builtin, { type: ['builtin'] })).toBe(true);
    expect(match(builtin, { type: ['custom'] })).toBe(false);
    expect(() => match(custom, { type: ['other'] })).toThrow("invalid filter: 'type'='other'");
    expect(match(custom, { dangling: ['true'] }, 0)).toBe(true);
    expect(match(custom, { dangling: ['true'] }, 1)).toBe(false);
    expect(match(builtin, { dangling: ['true'] }, 0)).toBe(false);
    expect(match(custom, { dangling: ['false'] }, 1)).toBe(true);
    expect(() => match(custom, { dangling: ['yes'] })).toThrow("invalid filter 'dangling=yes'");
  });
});
