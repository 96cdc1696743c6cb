import { describe, expect, it } from 'vitest';
import { containerMounts, parseBind, parseTmpfs, userOciMounts } from './mounts';

describe('parseBind', () => {
  it('host path binds with modes', () => {
    expect(parseBind('/srv:/data:ro,rshared')).toEqual({
      Type: 'bind',
      Source: '/srv',
      Destination: '/data',
      Mode: 'ro,rshared',
      RW: false,
      Propagation: 'rshared',
    });
  });

  it('a bare name is a volume', () => {
    expect(parseBind('cache:/cache').Type).toBe('volume');
  });

  it.each([
    ['/srv', 'invalid volume specification'],
    ['/srv:data', 'mount path must be absolute'],
    ['/srv:/data:xyz', 'invalid mode: xyz'],
    ['/srv:/', "destination can't be '/'"],
    ['bad name!:/x', 'invalid characters for a local volume name'],
  ])('%s → %s', (spec, message) => {
    expect(() => parseBind(spec)).toThrow(message);
  });
});

describe('tmpfs and --mount', () => {
  it('parses tmpfs options and rejects unknown ones', () => {
    expect(parseTmpfs('/run', 'size=64m,mode=1777').TmpfsOptions).toEqual([
      'size=64m',
      'mode=1777',
    ]);
    expect(() => parseTmpfs('/run', 'size=abc')).toThrow('invalid tmpfs option');
  });

  it('collects Binds, Mounts and Tmpfs and refuses duplicates', () => {
    const mounts = containerMounts({
      Binds: ['/a:/a'],
      Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }],
      Tmpfs: { '/run': '' },
    });
    expect(mounts.map((m) => m.Destination)).toEqual(['/a', '/t', '/run']);
    expect(() => containerMounts({ Binds: ['/a:/x', '/b:/x'] })).toThrow(
      'Duplicate mount point: /x',
    );
    expect(() =>
      containerMounts({ Mounts: [{ Type: 'bind', Source: 'rel', Target: '/x' }] }),
    ).toThrow('must be absolute');
    expect(() => containerMounts({ Mounts: [{ Type: 'npipe', Target: '/x' } as never] })).toThrow(
      'mount type unknown',
    );
  });

  it('volumes resolve through the given map', () => {
    const mounts = containerMounts({ Binds: ['cache:/cache:ro'] });
    expect(userOciMounts(mounts, new Map([['cache', '/vol/cache']]))).toEqual([
      {
        destination: '/cache',
        type: 'bind',
        source: '/vol/cache',
        options: ['rbind', 'rprivate', 'ro'],
      },
    ]);
    expect(() => userOciMounts(mounts, new Map())).toThrow('could not be resolved');
  });
});

describe('recursively read-only mounts', () => {
  const rro = { supported: true } as const;
  const noRro = { supported: false, reason: 'rro is not supported by runtime "runc"' } as const;
  const bind = (options: object, readOnly = true) =>
    containerMounts({
      Mounts: [{ Type: 'bind', Source: '/src', Target: '/dst', ReadOnly: readOnly, ...options }],
    });

  it('makes read-only binds rro where supported, plain ro otherwise', () => {
    const mounts = containerMounts({ Binds: ['/src:/dst:ro', '/w:/w'] });
    expect(userOciMounts(mounts, new Map(), rro).map((m) => m.options)).toEqual([
      ['rbind', 'rprivate', 'rro'],
      ['rbind', 'rprivate'],
    ]);
    expect(userOciMounts(mounts, new Map(), noRro)[0]?.options).toEqual([
      'rbind',
      'rprivate',
      'ro',
    ]);
  });

  it('honours ReadOnlyNonRecursive, ReadOnlyForceRecursive and NonRecursive', () => {
    const nonRecursive = bind({ BindOptions: { ReadOnlyNonRecursive: true, NonRecursive: true } });
    expect(nonRecursive[0]).toMatchObject({ ReadOnlyNonRecursive: true, NonRecursive: true });
    expect(userOciMounts(nonRecursive, new Map(), rro)[0]?.options).toEqual([
      'bind',
      'rprivate',
      'ro',
    ]);
    const forced = bind({ BindOptions: { ReadOnlyForceRecursive: true } });
    expect(userOciMounts(forced, new Map(), rro)[0]?.options).toEqual(['rbind', 'rprivate', 'rro']);
    expect(() => userOciMounts(forced, new Map(), noRro)).toThrow(
      'rro is not supported by runtime "runc"',
    );
    // Without a probe the host is assumed unable, so forcing fails rather than pretends.
    expect(() => userOciMounts(forced, new Map())).toThrow('rro is not supported');
  });

  it("refuses dockerd's conflicting combinations", () => {
    expect(() => bind({ BindOptions: { ReadOnlyNonRecursive: true } }, false)).toThrow(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive',
    );
    expect(() => bind({ BindOptions: { ReadOnlyForceRecursive: true } }, false)).toThrow(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive',
    );
    expect(() =>
      bind({ BindOptions: { ReadOnlyNonRecursive: true, ReadOnlyForceRecursive: true } }),
    ).toThrow('mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive');
  });
});
