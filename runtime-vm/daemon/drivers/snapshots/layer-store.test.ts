import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffThreadDigestingStream } from '../../store/offthread-digest';
import { LayerStore } from './layer-store';
import { encodeHeader, paddingFor, type TarHeader, zeroBlock } from './tar-format';

type Entry = Partial<TarHeader> & { name: string; data?: string; xattrs?: Map<string, Buffer> };

function header(entry: Entry): TarHeader {
  const size = entry.data !== undefined ? Buffer.byteLength(entry.data) : 0;
  return {
    mode: entry.type === '5' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 1_700_000_000,
    type: '0',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    ...entry,
  };
}

/** Builds a tar byte-for-byte, so hostile entries GNU tar would refuse to create are possible. */
function buildTar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const h = header(entry);
    parts.push(encodeHeader(h, entry.xattrs));
    if (entry.data !== undefined) {
      parts.push(Buffer.from(entry.data), Buffer.alloc(paddingFor(h.size)));
    }
  }
  parts.push(zeroBlock, zeroBlock);
  return Buffer.concat(parts);
}

const digestOf = (data: Buffer) => 'sha256:' + createHash('sha256').update(data).digest('hex');

/** Hostile layers and what their rejection says. */
const hostile: Array<[string, Entry[], RegExp]> = [
  ['dot-dot path', [{ name: '../outside/sentinel', data: 'pwned' }], /contains '\.\.'/],
  ['nested dot-dot', [{ name: 'a/../../outside/evil', data: 'pwned' }], /contains '\.\.'/],
  ['absolute path', [{ name: `/tmp/berth-evil-${process.pid}`, data: 'pwned' }], /absolute/],
  ['symlink escaping with ..', [{ name: 'esc', type: '2', linkname: '../../outside' }], /escapes/],
  [
    'write through an absolute symlink',
    [
      { name: 'evil', type: '2', linkname: '/' },
      { name: 'evil/tmp/pwned', data: 'pwned' },
    ],
    /through a symlink/,
  ],
  [
    'write through a relative symlink',
    [
      { name: 'd/', type: '5' },
      { name: 'd/up', type: '2', linkname: '..' },
      { name: 'd/up/x', data: 'pwned' },
    ],
    /through a symlink/,
  ],
  ['hardlink to a host file', [{ name: 'pw', type: '1', linkname: '/etc/passwd' }], /absolute/],
  [
    'hardlink with ..',
    [{ name: 'pw', type: '1', linkname: '../outside/sentinel' }],
    /contains '\.\.'/,
  ],
  [
    'hardlink to something not in the layer',
    [{ name: 'pw', type: '1', linkname: 'etc/shadow' }],
    /outside this layer/,
  ],
  ['char device', [{ name: 'dev/mem', type: '3', devmajor: 1, devminor: 1 }], /device node/],
  ['block device', [{ name: 'dev/sda', type: '4', devmajor: 8, devminor: 0 }], /device node/],
  ['whiteout named ..', [{ name: 'a/.wh...' }], /invalid whiteout|contains/],
  ['unknown entry type', [{ name: 'v', type: 'V' }], /unsupported tar entry type/],
];

/** GNU tar's archive of one unpacked file, with the xattrs it reads back. */
function archiveWithXattrs(dir: string, name: string): Buffer {
  return execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-cf', '-', '-C', dir, name]);
}

// Both describes unpack into a fresh store beside an `outside` folder that must stay untouched.
let root: string;
let store: LayerStore;
let outside: string;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'berth-layers-'));
  outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'sentinel'), 'untouched');
  store = new LayerStore(join(root, 'layers'));
  await store.init();
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('LayerStore.unpack', () => {
  it('extracts files, links and converts whiteouts and opaque dirs for overlayfs', async () => {
    const tar = buildTar([
      { name: 'etc/', type: '5' },
      { name: 'etc/hello', data: 'hi\n', mode: 0o640, uid: 1000, gid: 1000 },
      { name: 'etc/hello-link', type: '1', linkname: 'etc/hello' },
      { name: 'etc/abs', type: '2', linkname: '/etc/hello' },
      { name: 'etc/rel', type: '2', linkname: '../etc/hello' },
      { name: 'etc/.wh.gone', data: '' },
      { name: 'opaque/', type: '5', mode: 0o711 },
      { name: 'opaque/.wh..wh..opq' },
      { name: 'opaque/new', data: 'new' },
    ]);
    const pending = await store.unpack(Readable.from([tar]), digestOf(tar));
    await pending.commit();
    const diff = store.diffPath(pending.info.diffId);
    expect(readFileSync(join(diff, 'etc/hello'), 'utf8')).toBe('hi\n');
    const hello = lstatSync(join(diff, 'etc/hello'));
    expect([hello.uid, hello.gid, hello.mode & 0o7777, hello.nlink]).toEqual([
      1000, 1000, 0o640, 2,
    ]);
    expect(readlinkSync(join(diff, 'etc/abs'))).toBe('/etc/hello');
    expect(readlinkSync(join(diff, 'etc/rel'))).toBe('../etc/hello');
    const whiteout = lstatSync(join(diff, 'etc/gone'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(lstatSync(join(diff, 'opaque')).mode & 0o7777).toBe(0o711);
    expect(pending.info.size).toBe(6);
    expect(await store.has(pending.info.diffId)).toBe(true);
  });

  it('produces layers that overlayfs stacks with whiteouts and opaque dirs honoured', async () => {
    const lower = buildTar([
      { name: 'a/', type: '5' },
      { name: 'a/old', data: 'old' },
      { name: 'keep', data: 'keep' },
      { name: 'drop', data: 'drop' },
    ]);
    const upper = buildTar([
      { name: 'a/', type: '5' },
      { name: 'a/.wh..wh..opq' },
      { name: 'a/fresh', data: 'fresh' },
      { name: '.wh.drop' },
    ]);
    const l1 = await store.unpack(Readable.from([lower]), undefined);
    await l1.commit();
    const l2 = await store.unpack(Readable.from([upper]), undefined);
    await l2.commit();
    const merged = join(root, 'merged');
    mkdirSync(merged);
    const lowerdir = `${store.diffPath(l2.info.diffId)}:${store.diffPath(l1.info.diffId)}`;
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdir}`, merged]);
    try {
      expect(readdirSync(merged).sort()).toEqual(['a', 'keep']);
      expect(readdirSync(join(merged, 'a'))).toEqual(['fresh']);
    } finally {
      execFileSync('umount', [merged]);
    }
  });

  it('hands xattr files, their hardlinks and fifos to GNU tar, and lets later entries win', async () => {
    const capability = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const tar = buildTar([
      { name: 'bin/', type: '5' },
      {
        name: 'bin/ping',
        data: 'ELF',
        mode: 0o755,
        xattrs: new Map([
          ['security.capability', capability],
          ['trusted.overlay.redirect', Buffer.from('/etc')],
        ]),
      },
      { name: 'bin/ping6', type: '1', linkname: 'bin/ping' },
      { name: 'run/fifo', type: '6', mode: 0o600 },
      { name: 'dup', data: 'file first' },
      { name: 'dup', type: '2', linkname: 'bin/ping' },
      { name: 'dup2', type: '2', linkname: 'nowhere' },
      { name: 'dup2', data: 'file last' },
    ]);
    const pending = await store.unpack(Readable.from([tar]), undefined);
    await pending.commit();
    const diff = store.diffPath(pending.info.diffId);
    expect(lstatSync(join(diff, 'bin/ping')).nlink).toBe(2);
    expect(readFileSync(join(diff, 'bin/ping6'), 'utf8')).toBe('ELF');
    expect(lstatSync(join(diff, 'run/fifo')).isFIFO()).toBe(true);
    expect(readlinkSync(join(diff, 'dup'))).toBe('bin/ping');
    expect(readFileSync(join(diff, 'dup2'), 'utf8')).toBe('file last');
    // GNU tar reads the xattrs back: the capability is kept, the forged overlay xattr is not.
    const archived = archiveWithXattrs(diff, 'bin/ping');
    expect(archived.includes(Buffer.from('SCHILY.xattr.security.capability'))).toBe(true);
    expect(archived.includes(Buffer.from('trusted.overlay.redirect'))).toBe(false);
  });

  it('rejects a digest mismatch and leaves nothing registered', async () => {
    const tar = buildTar([{ name: 'f', data: 'x' }]);
    await expect(store.unpack(Readable.from([tar]), 'sha256:' + '0'.repeat(64))).rejects.toThrow(
      /digest mismatch/,
    );
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(root, 'layers', 'tmp'))).toEqual([]);
  });

  it('rejects a truncated layer', async () => {
    const tar = buildTar([{ name: 'f', data: 'x'.repeat(2000) }]);
    await expect(store.unpack(Readable.from([tar.subarray(0, 1200)]), undefined)).rejects.toThrow(
      /truncated/,
    );
  });

  it('rejects garbage that is not a tar', async () => {
    await expect(store.unpack(Readable.from([Buffer.alloc(1024, 7)]), undefined)).rejects.toThrow(
      /checksum/,
    );
  });

  for (const [label, entries, message] of hostile) {
    it(`rejects a hostile layer: ${label}`, async () => {
      const tar = buildTar(entries);
      await expect(store.unpack(Readable.from([tar]), undefined)).rejects.toThrow(message);
      expect(readFileSync(join(outside, 'sentinel'), 'utf8')).toBe('untouched');
      expect(readdirSync(outside)).toEqual(['sentinel']);
      expect(existsSync(`/tmp/berth-evil-${process.pid}`)).toBe(false);
      expect(await store.list()).toEqual([]);
      expect(readdirSync(join(root, 'layers', 'tmp'))).toEqual([]);
    });
  }

  it('rejects a hostile name hidden in a PAX path record', async () => {
    const h = header({ name: 'innocent', data: 'pwned' });
    const paxed = encodeHeader({ ...h, name: 'x/'.repeat(60) + '../'.repeat(70) + 'outside/evil' });
    const tar = Buffer.concat([
      paxed,
      Buffer.from('pwned'),
      Buffer.alloc(paddingFor(5)),
      zeroBlock,
      zeroBlock,
    ]);
    await expect(store.unpack(Readable.from([tar]), undefined)).rejects.toThrow(/contains '\.\.'/);
    expect(readdirSync(outside)).toEqual(['sentinel']);
  });
});

/** Feeds `tar`, gzipped and in socket-sized chunks, through an inflating digester into unpackFed. */
function unpackFedGzip(store: LayerStore, tar: Buffer, expectedDiffId: string | undefined) {
  const gz = gzipSync(tar);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < gz.length; offset += 40_000)
    chunks.push(gz.subarray(offset, offset + 40_000));
  return store.unpackFed((target) => {
    const stream = new OffThreadDigestingStream({ coalesce: true, inflateInto: target });
    void pipeline(
      Readable.from(chunks),
      stream,
      new Writable({
        write(_chunk: Buffer, _enc, done) {
          stream.releaseChunk();
          done();
        },
      }),
    ).catch(() => undefined);
    return stream.inflated();
  }, expectedDiffId);
}

describe('LayerStore.unpackFed (pulled gzip layers inflated off the main thread)', () => {
  it('extracts a layer inflated by the hash worker through its reused slots', async () => {
    const entries: Entry[] = [{ name: 'files/', type: '5' }];
    for (let index = 0; index < 30; index++) {
      const data = String.fromCharCode(97 + (index % 26)).repeat(77_777 + index * 1013);
      entries.push({ name: `files/${'long-name-'.repeat(12)}${index}`, data });
    }
    const tar = buildTar(entries);
    const pending = await unpackFedGzip(store, tar, digestOf(tar));
    await pending.commit();
    expect(pending.info.tarSize).toBe(tar.length);
    const diff = store.diffPath(pending.info.diffId);
    for (const entry of entries.slice(1)) {
      expect(readFileSync(join(diff, entry.name), 'utf8')).toBe(entry.data);
    }
  });

  it('keeps nothing of a chunk once its write called back: the feeder reuses the memory', async () => {
    const capability = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const entries: Entry[] = [{ name: 'bin/', type: '5' }];
    for (let index = 0; index < 12; index++) {
      entries.push({
        name: `bin/${'a-long-name-'.repeat(10)}${index}`,
        data: `content ${index} `.repeat(300 + index * 7),
        // Files with xattrs go to GNU tar later: their data must have been copied.
        xattrs: index % 3 === 0 ? new Map([['security.capability', capability]]) : undefined,
      });
    }
    const tar = buildTar(entries);
    // One buffer, refilled with every chunk and scribbled over once each write called back.
    const feedReusing = async (target: Writable) => {
      const slot = Buffer.alloc(1000);
      for (let offset = 0; offset < tar.length; offset += slot.length) {
        const length = tar.copy(slot, 0, offset, offset + slot.length);
        await new Promise<void>((resolve, reject) =>
          target.write(slot.subarray(0, length), (error) => (error ? reject(error) : resolve())),
        );
        slot.fill(0xee);
      }
      target.end();
      return { digest: digestOf(tar), bytes: tar.length };
    };
    const pending = await store.unpackFed(feedReusing, digestOf(tar));
    await pending.commit();
    const diff = store.diffPath(pending.info.diffId);
    for (const entry of entries.slice(1)) {
      expect(readFileSync(join(diff, entry.name), 'utf8')).toBe(entry.data);
    }
    const archived = archiveWithXattrs(diff, entries[1]!.name);
    expect(archived.includes(Buffer.from('SCHILY.xattr.security.capability'))).toBe(true);
  });

  it('rejects a diffID mismatch and leaves nothing registered', async () => {
    const tar = buildTar([{ name: 'f', data: 'x' }]);
    await expect(unpackFedGzip(store, tar, 'sha256:' + '0'.repeat(64))).rejects.toThrow(
      /digest mismatch/,
    );
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(root, 'layers', 'tmp'))).toEqual([]);
  });

  for (const [label, entries, message] of hostile) {
    it(`rejects a hostile layer: ${label}`, async () => {
      await expect(unpackFedGzip(store, buildTar(entries), undefined)).rejects.toThrow(message);
      expect(readFileSync(join(outside, 'sentinel'), 'utf8')).toBe('untouched');
      expect(readdirSync(outside)).toEqual(['sentinel']);
      expect(existsSync(`/tmp/berth-evil-${process.pid}`)).toBe(false);
      expect(await store.list()).toEqual([]);
      expect(readdirSync(join(root, 'layers', 'tmp'))).toEqual([]);
    });
  }
});
