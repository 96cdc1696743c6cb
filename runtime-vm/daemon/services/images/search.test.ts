import { describe, expect, it } from 'vitest';
import { parseSearchFilters, parseSearchLimit, splitSearchTerm } from './search';

describe('search term rules (as dockerd splits them)', () => {
  it('sends plain names and user/name to Docker Hub', () => {
    expect(splitSearchTerm('busybox')).toEqual({ domain: 'docker.io', query: 'busybox' });
    expect(splitSearchTerm('library/busybox')).toEqual({
      domain: 'docker.io',
      query: 'library/busybox',
    });
  });

  it('sends host:port/, dotted and localhost prefixes to that registry', () => {
    expect(splitSearchTerm('127.0.0.1:5000/busy')).toEqual({
      domain: '127.0.0.1:5000',
      query: 'busy',
    });
    expect(splitSearchTerm('registry.example/team/app')).toEqual({
      domain: 'registry.example',
      query: 'team/app',
    });
    expect(splitSearchTerm('localhost/app')).toEqual({ domain: 'localhost', query: 'app' });
  });
});

describe('search limit and filters', () => {
  it('defaults the limit to 25 and refuses values outside [1, 100]', () => {
    expect(parseSearchLimit(null)).toBe(25);
    expect(parseSearchLimit('0')).toBe(25);
    expect(parseSearchLimit('100')).toBe(100);
    expect(() => parseSearchLimit('101')).toThrow('Limit 101 is outside the range of [1, 100]');
    expect(() => parseSearchLimit('ten')).toThrow("invalid limit 'ten'");
  });

  it('parses is-official, is-automated and stars, naming a bad value', () => {
    const filters = new Map([
      ['is-official', ['true']],
      ['is-automated', ['0']],
      ['stars', ['3', '10']],
    ]);
    expect(parseSearchFilters(filters)).toEqual({
      isOfficial: true,
      isAutomated: false,
      minStars: 10,
    });
    expect(() => parseSearchFilters(new Map([['stars', ['many']]]))).toThrow(
      "Invalid filter 'stars=many'",
    );
    expect(() => parseSearchFilters(new Map([['is-official', ['yes']]]))).toThrow(
      "Invalid filter 'is-official=yes'",
    );
  });
});
