import { describe, expect, it } from 'vitest';
import {
  archiveMounts,
  containerPathOf,
  hostFileMountPoints,
  mountHolding,
} from './container-file-mounts';

describe('archiveMounts', () => {
  it('keeps binds and volumes with host sources, parents first, and drops tmpfs', () => {
    const mounts = archiveMounts([
      { Type: 'bind', Source: '/srv/cache', Destination: '/data/cache/', RW: true },
      { Type: 'tmpfs', Source: '', Destination: '/run', RW: true },
      {
        Type: 'volume',
        Name: 'v',
        Source: '/var/lib/berth/volumes/v/_data',
        Destination: '/data',
        RW: false,
      },
      // A volume known only by name (never prepared) has no host folder to show.
      { Type: 'volume', Name: 'w', Source: 'w', Destination: '/w', RW: true },
    ]);
    expect(mounts).toEqual([
      { source: '/var/lib/berth/volumes/v/_data', destination: '/data', readOnly: true },
      { source: '/srv/cache', destination: '/data/cache', readOnly: false },
    ]);
  });
});

describe('mountHolding', () => {
  const mounts = archiveMounts([
    { Type: 'volume', Source: '/v', Destination: '/data', RW: false },
    { Type: 'bind', Source: '/c', Destination: '/data/cache', RW: true },
  ]);

  it('finds the innermost mount that holds a path', () => {
    expect(mountHolding(mounts, '/data/cache/x')?.source).toBe('/c');
    expect(mountHolding(mounts, '/data/cache')?.source).toBe('/c');
    expect(mountHolding(mounts, '/data/x')?.source).toBe('/v');
    expect(mountHolding(mounts, 'data')?.source).toBe('/v');
  });

  it('does not mistake a sibling with the same prefix for the mount', () => {
    expect(mountHolding(mounts, '/database')).toBeUndefined();
    expect(mountHolding(mounts, '/')).toBeUndefined();
  });
});

describe('containerPathOf', () => {
  it('turns a host path under the root into the container path', () => {
    expect(containerPathOf('/run/c/view', '/run/c/view/etc/passwd')).toBe('/etc/passwd');
    expect(containerPathOf('/run/c/view', '/run/c/view')).toBe('/');
  });
});

describe('hostFileMountPoints', () => {
  const files = {
    HostsPath: '/c/hosts',
    ResolvConfPath: '/c/resolv.conf',
    HostnamePath: '/c/hostname',
  };
  const destinations = (path: string, taken: string[] = []) =>
    hostFileMountPoints(files, path, new Set(taken)).map((point) => point.Destination);

  it('adds the host files for paths that reach them, and only those', () => {
    const all = ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts'];
    expect(destinations('/')).toEqual(all);
    expect(destinations('etc/')).toEqual(all);
    expect(destinations('/etc/.')).toEqual(all);
    expect(destinations('/etc/hosts')).toEqual(['/etc/hosts']);
    expect(destinations('/usr/bin')).toEqual([]);
    expect(destinations('/etc/passwd')).toEqual([]);
  });

  it('leaves out a destination a user mount already covers', () => {
    expect(destinations('/etc', ['/etc/resolv.conf'])).toEqual(['/etc/hostname', '/etc/hosts']);
    expect(hostFileMountPoints(files, '/etc/hosts', new Set())).toEqual([
      { Type: 'bind', Source: '/c/hosts', Destination: '/etc/hosts', RW: true },
    ]);
  });
});
