import { describe, expect, it } from 'vitest';
import { canonicalString, familiarString, parseReference } from './reference';

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['docker.io/foo/bar', 'docker.io/foo/bar:latest', 'foo/bar:latest'],
    ['index.docker.io/foo/bar:t', 'docker.io/foo/bar:t', 'foo/bar:t'],
    ['127.0.0.1:5000/a/b:v1', '127.0.0.1:5000/a/b:v1', '127.0.0.1:5000/a/b:v1'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    [
      'ghcr.io/o/r@sha256:' + 'a'.repeat(64),
      'ghcr.io/o/r@sha256:' + 'a'.repeat(64),
      'ghcr.io/o/r@sha256:' + 'a'.repeat(64),
    ],
  ])('%s → %s', (input, canonical, familiar) => {
    const ref = parseReference(input);
    expect(canonicalString(ref)).toBe(canonical);
    expect(familiarString(ref)).toBe(familiar);
  });

  it.each([
    ['foo/Upper', /lowercase/],
    ['busybox:bad tag', /invalid tag/],
    ['busybox@sha256:short', /invalid digest/],
    ['', /empty/],
    ['a//b', /invalid repository name component/],
    ['-bad', /invalid repository name component/],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
  });
});
