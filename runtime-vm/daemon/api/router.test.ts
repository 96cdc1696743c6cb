import { describe, expect, it } from 'vitest';
import type { Route } from './route';
import { RouteTable } from './router';
import { maxApiVersion, splitVersion } from './version';

const noop = async () => undefined;
const route = (method: Route['method'], path: string): Route => ({ method, path, handler: noop });

describe('RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/images/{name:.*}/json'),
    route('GET', '/images/json'),
    route('DELETE', '/images/{name:.*}'),
    route('POST', '/containers/{id}/start'),
    route('GET', '/_ping'),
  ]);

  it('prefers static routes and lets greedy params span slashes', () => {
    expect(table.match('GET', '/images/json')?.route.path).toBe('/images/json');
    const named = table.match('GET', '/images/127.0.0.1:5000/a/b:v1/json');
    expect(named?.params).toEqual({ name: '127.0.0.1:5000/a/b:v1' });
    expect(table.match('DELETE', '/images/a/b%3Ac')?.params).toEqual({ name: 'a/b:c' });
  });

  it('matches one-segment params only within a segment, and HEAD falls back to GET', () => {
    expect(table.match('POST', '/containers/abc/start')?.params).toEqual({ id: 'abc' });
    expect(table.match('POST', '/containers/a/b/start')).toBeUndefined();
    expect(table.match('HEAD', '/_ping')?.route.method).toBe('GET');
    expect(table.hasPath('/containers/abc/start')).toBe(true);
  });
});

describe('splitVersion', () => {
  it('strips /vX.Y and enforces the supported range', () => {
    expect(splitVersion('/v1.41/containers/json')).toEqual({
      apiVersion: '1.41',
      path: '/containers/json',
    });
    expect(splitVersion('/containers/json')).toEqual({
      apiVersion: maxApiVersion,
      path: '/containers/json',
    });
    expect(() => splitVersion('/v1.46/info')).toThrow(
      `client version 1.46 is too new. Maximum supported API version is ${maxApiVersion}`,
    );
    expect(() => splitVersion('/v1.23/info')).toThrow(/too old/);
  });
});
