import { describe, expect, it } from 'vitest';
import { matchesVolumeFilters, parseBoolFilter } from './volume-filters';
import type { VolumeRecord } from './volume-model';

const record: VolumeRecord = {
  name: 'project_data',
  driver: 'local',
  createdAt: '2026-01-01T00:00:00Z',
  labels: { env: 'prod', keep: '' },
  options: {},
};
const match = (filters: Record<string, string[]>, refs = 0) =>
  matchesVolumeFilters(record, new Map(Object.entries(filters)), refs);

describe('volume filters', () => {
  it('matches names by substring, drivers exactly and all labels', () => {
    expect(match({ name: ['data'] })).toBe(true);
    expect(match({ name: ['other', 'project'] })).toBe(true);
    expect(match({ name: ['zzz'] })).toBe(false);
    expect(match({ driver: ['local'] })).toBe(true);
    expect(match({ driver: ['nfs'] })).toBe(false);
    expect(match({ label: ['env=prod', 'keep'] })).toBe(true);
    expect(match({ label: ['env=dev'] })).toBe(false);
    expect(match({ 'label!': ['env=prod'] })).toBe(false);
  });

  it('treats dangling as "no container references"', () => {
    expect(match({ dangling: ['true'] }, 0)).toBe(true);
    expect(match({ dangling: ['1'] }, 2)).toBe(false);
    expect(match({ dangling: ['false'] }, 2)).toBe(true);
    expect(() => parseBoolFilter('dangling', ['maybe'])).toThrow("invalid filter 'dangling=maybe'");
  });
});
