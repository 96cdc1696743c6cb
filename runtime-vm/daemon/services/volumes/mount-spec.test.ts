import { describe, expect, it } from 'vitest';
import {
  bindMountOptions,
  parseApiMount,
  parseBind,
  parseContainerMounts,
  parseTmpfs,
  type BindSpec,
  type MountSpec,
} from './mount-spec';

describe('Binds', () => {
  it('parses bind mounts with mode, propagation and SELinux flags', () => {
    expect(parseBind('/srv/data/:/data:ro,z,rshared')).toEqual({
      type: 'bind',
      source: '/srv/data/',
      target: '/data',
      readOnly: true,
      propagation: 'rshared',
      nonRecursive: false,
      readOnlyNonRecursive: false,
      readOnlyForceRecursive: false,
      createSource: true,
      mode: 'ro,z,rshared',
    });
    expect(parseBind('/a:/b')).toMatchObject({
      readOnly: false,
      propagation: 'rprivate',
      mode: '',
    });
  });

  it('parses named and anonymous volumes with nocopy', () => {
    expect(parseBind('cache:/var/cache:nocopy')).toMatchObject({
      type: 'volume',
      name: 'cache',
      noCopy: true,
      readOnly: false,
    });
    expect(parseBind('/just/a/path')).toMatchObject({
      type: 'volume',
      name: '',
      target: '/just/a/path',
    });
  });

  it('rejects bad specs with precise messages', () => {
    expect(() => parseBind('a:b:c:d')).toThrow("invalid volume specification: 'a:b:c:d'");
    expect(() => parseBind('/a:/b:rw,ro')).toThrow('invalid mode: rw,ro');
    expect(() => parseBind('/a:/b:bogus')).toThrow('invalid mode: bogus');
    expect(() => parseBind('/a:/b:nocopy')).toThrow('invalid mode: nocopy');
    expect(() => parseBind('vol:/b:rshared')).toThrow('invalid mode: rshared');
    expect(() => parseBind('vol:relative')).toThrow(
      `invalid volume specification: 'vol:relative': invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute`,
    );
    expect(() => parseBind('/a:/')).toThrow("destination can't be '/'");
    expect(() => parseBind('bad$name:/x')).toThrow(
      '"bad$name" includes invalid characters for a local volume name',
    );
  });
});

describe('Mounts', () => {
  it('validates bind mounts like moby', () => {
    expect(
      parseApiMount({
        Type: 'bind',
        Source: '/x',
        Target: '/y',
        ReadOnly: true,
        BindOptions: { Propagation: 'slave' },
      }),
    ).toMatchObject({
      type: 'bind',
      createSource: false,
      readOnly: true,
      propagation: 'slave',
    });
    expect(() => parseApiMount({ Type: 'bind', Target: '/y' })).toThrow(
      'invalid mount config for type "bind": field Source must not be empty',
    );
    expect(() => parseApiMount({ Type: 'bind', Source: 'rel', Target: '/y' })).toThrow(
      "invalid mount path: 'rel' mount path must be absolute",
    );
    expect(() =>
      parseApiMount({ Type: 'bind', Source: '/x', Target: '/y', VolumeOptions: {} }),
    ).toThrow('invalid mount config for type "bind": field VolumeOptions must not be specified');
    expect(() =>
      parseApiMount({
        Type: 'bind',
        Source: '/x',
        Target: '/y',
        BindOptions: { Propagation: 'sideways' },
      }),
    ).toThrow('invalid propagation mode: sideways');
  });

  it('validates volume and tmpfs mounts', () => {
    expect(
      parseApiMount({
        Type: 'volume',
        Source: 'data',
        Target: '/d',
        VolumeOptions: { NoCopy: true, Subpath: 'sub/dir', Labels: { a: 'b' } },
      }),
    ).toMatchObject({
      type: 'volume',
      name: 'data',
      noCopy: true,
      subpath: 'sub/dir',
      labels: { a: 'b' },
    });
    expect(() =>
      parseApiMount({
        Type: 'volume',
        Source: 'dd',
        Target: '/d',
        VolumeOptions: { Subpath: '../up' },
      }),
    ).toThrow('subpath must be a relative path within the volume');
    expect(
      parseApiMount({
        Type: 'tmpfs',
        Target: '/t',
        TmpfsOptions: { SizeBytes: 65536, Mode: 0o1777 },
      }),
    ).toEqual({
      type: 'tmpfs',
      target: '/t',
      readOnly: false,
      options: ['size=64k', 'mode=1777'],
    });
    expect(() => parseApiMount({ Type: 'tmpfs', Source: 'x', Target: '/t' })).toThrow(
      'invalid mount config for type "tmpfs": field Source must not be specified',
    );
    expect(() => parseApiMount({ Type: 'weird', Target: '/t' })).toThrow(
      'invalid mount config for type "weird": mount type unknown',
    );
    expect(() => parseApiMount({ Type: 'volume' })).toThrow(
      'invalid mount config for type "volume": field Target must not be empty',
    );
  });
});

describe('all mounts of a container', () => {
  it('combines Binds, Mounts, Tmpfs and image VOLUMEs, refusing duplicates', () => {
    const specs = parseContainerMounts(
      {
        Binds: ['/h:/a'],
        Mounts: [{ Type: 'volume', Target: '/b' }],
        Tmpfs: { '/run': 'size=1m' },
      },
      { '/a': {}, '/data/': {} },
    );
    expect(specs.map((s) => [s.type, s.target])).toEqual([
      ['bind', '/a'],
      ['volume', '/b'],
      ['tmpfs', '/run'],
      ['volume', '/data'],
    ]);
    expect(() => parseContainerMounts({ Binds: ['/h:/a', 'vol:/a'] })).toThrow(
      'Duplicate mount point: /a',
    );
    expect(parseTmpfs('/t', 'ro,mode=1777').readOnly).toBe(true);
    expect(() => parseTmpfs('/t', 'size=1m;rm -rf')).toThrow('invalid tmpfs option');
  });
});

describe('recursively read-only binds (API 1.44)', () => {
  const supported = { supported: true } as const;
  const kernelTooOld = {
    supported: false,
    reason: 'rro is not supported: kernel 5.10.0 has no mount_setattr (kernel is older than 5.12?)',
  } as const;
  const bindOf = (spec: MountSpec): BindSpec => {
    if (spec.type !== 'bind') throw new Error(`expected a bind, got ${spec.type}`);
    return spec;
  };
  const bind = (readOnly: boolean, bindOptions: object) =>
    bindOf(
      parseApiMount({
        Type: 'bind',
        Source: '/src',
        Target: '/dst',
        ReadOnly: readOnly,
        BindOptions: bindOptions,
      }),
    );

  it('reads ReadOnlyNonRecursive and ReadOnlyForceRecursive from Mounts', () => {
    expect(bind(true, { ReadOnlyNonRecursive: true })).toMatchObject({
      readOnly: true,
      readOnlyNonRecursive: true,
      readOnlyForceRecursive: false,
    });
    expect(bind(true, { ReadOnlyForceRecursive: true })).toMatchObject({
      readOnlyNonRecursive: false,
      readOnlyForceRecursive: true,
    });
  });

  it("refuses dockerd's conflicting combinations", () => {
    expect(() => bind(false, { ReadOnlyNonRecursive: true })).toThrow(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive',
    );
    expect(() => bind(false, { ReadOnlyForceRecursive: true })).toThrow(
      'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive',
    );
    expect(() => bind(true, { ReadOnlyNonRecursive: true, ReadOnlyForceRecursive: true })).toThrow(
      'mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive',
    );
  });

  it('turns a spec into rbind/bind, rw/ro/rro and the propagation', () => {
    expect(bindMountOptions(bindOf(parseBind('/a:/b:ro')), supported)).toEqual([
      'rbind',
      'rro',
      'rprivate',
    ]);
    expect(bindMountOptions(bindOf(parseBind('/a:/b:ro')), kernelTooOld)).toEqual([
      'rbind',
      'ro',
      'rprivate',
    ]);
    expect(bindMountOptions(bindOf(parseBind('/a:/b:rslave')), supported)).toEqual([
      'rbind',
      'rw',
      'rslave',
    ]);
    expect(
      bindMountOptions(bind(true, { ReadOnlyNonRecursive: true, NonRecursive: true }), supported),
    ).toEqual(['bind', 'ro', 'rprivate']);
    expect(bindMountOptions(bind(true, { ReadOnlyForceRecursive: true }), supported)).toEqual([
      'rbind',
      'rro',
      'rprivate',
    ]);
    expect(() =>
      bindMountOptions(bind(true, { ReadOnlyForceRecursive: true }), kernelTooOld),
    ).toThrow(kernelTooOld.reason);
  });
});
