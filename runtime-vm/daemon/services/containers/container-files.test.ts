import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { extractInto, goFileMode, listChanges, statPath } from './container-files';

const base = mkdtempSync(join(tmpdir(), 'berth-files-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A tar built by GNU tar from a staging dir, as the docker CLI would send it. */
function tarOf(build: (dir: string) => void): Readable {
  const stage = mkdtempSync(join(base, 'stage-'));
  build(stage);
  return Readable.from(execFileSync('tar', ['-C', stage, '-cf', '-', '.']));
}

describe('goFileMode', () => {
  it('encodes type bits the way Go does', () => {
    expect(goFileMode(0o100644)).toBe(0o644);
    expect(goFileMode(0o040755)).toBe(2 ** 31 + 0o755);
    expect(goFileMode(0o120777)).toBe((1 << 27) + 0o777);
    expect(goFileMode(0o104755)).toBe((1 << 23) + 0o755);
  });
});

describe('listChanges', () => {
  it('reports added, modified and deleted paths but not berthd mount points', async () => {
    const lower = join(base, 'lower');
    const upper = join(base, 'upper');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    writeFileSync(join(lower, 'etc', 'group'), 'root:x:0:\n');
    writeFileSync(join(lower, 'etc', 'passwd'), '');
    mkdirSync(join(upper, 'etc'), { recursive: true });
    mkdirSync(join(upper, 'tmp'));
    writeFileSync(join(upper, 'tmp', 'new'), 'x');
    writeFileSync(join(upper, 'etc', 'hosts'), '');
    execFileSync('mknod', [join(upper, 'etc', 'group'), 'c', '0', '0']);
    writeFileSync(join(upper, 'etc', 'passwd'), 'changed');
    const changes = await listChanges(upper, [lower], new Set(['/etc/hosts']));
    expect(changes).toEqual([
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/group', Kind: 2 },
      { Path: '/etc/passwd', Kind: 0 },
      { Path: '/tmp', Kind: 1 },
      { Path: '/tmp/new', Kind: 1 },
    ]);
  });
});

describe('archives', () => {
  const root = join(base, 'root');
  const host = join(base, 'host-etc');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'data'));
  mkdirSync(host);
  // Hostile container symlinks pointing at the host.
  symlinkSync(host, join(root, 'data', 'escape'));
  symlinkSync('/', join(root, 'up'));
  const options = {
    noOverwriteDirNonDir: true,
    copyUidGid: false,
    scratchDir: join(base, 'scratch'),
  };

  it('stat resolves parents in the root and reports links', async () => {
    const stat = await statPath(root, '/data/escape', 'c1');
    expect(stat).toMatchObject({ name: 'escape', linkTarget: host });
    await expect(statPath(root, '/missing', 'c1')).rejects.toThrow(
      'Could not find the file /missing in container c1',
    );
  });

  it('writes through container symlinks only inside the root', async () => {
    mkdirSync(join(root, host), { recursive: true });
    const tar = tarOf((dir) => {
      mkdirSync(join(dir, 'escape'));
      writeFileSync(join(dir, 'escape', 'owned'), 'pwned');
    });
    await extractInto(root, '/data', 'c1', tar, options);
    expect(existsSync(join(host, 'owned'))).toBe(false);
    expect(readFileSync(join(root, host, 'owned'), 'utf8')).toBe('pwned');
  });

  it('a dangling symlink is replaced, never followed onto the host', async () => {
    symlinkSync('/nowhere', join(root, 'data', 'dangling'));
    const tar = tarOf((dir) => mkdirSync(join(dir, 'dangling')));
    await expect(extractInto(root, '/data', 'c1', tar, options)).rejects.toThrow(
      'cannot overwrite non-directory',
    );
    const again = tarOf((dir) => mkdirSync(join(dir, 'dangling')));
    await extractInto(root, '/data', 'c1', again, { ...options, noOverwriteDirNonDir: false });
    expect(lstatSync(join(root, 'data', 'dangling')).isDirectory()).toBe(true);
    expect(existsSync('/nowhere')).toBe(false);
  });

  it('an extraction target behind an absolute symlink stays in the root', async () => {
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const tar = tarOf((dir) => writeFileSync(join(dir, 'file.txt'), 'hello'));
    await extractInto(root, '/up/tmp', 'c1', tar, options);
    expect(readFileSync(join(root, 'tmp', 'file.txt'), 'utf8')).toBe('hello');
    expect(lstatSync(join(root, 'up')).isSymbolicLink()).toBe(true);
  });

  it('refuses to replace a directory with a file, and non-directory targets', async () => {
    const tar = tarOf((dir) => writeFileSync(join(dir, 'etc'), 'file'));
    await expect(extractInto(root, '/', 'c1', tar, options)).rejects.toThrow(
      'cannot overwrite directory "/etc"',
    );
    await expect(
      extractInto(
        root,
        '/tmp/file.txt',
        'c1',
        tarOf(() => undefined),
        options,
      ),
    ).rejects.toThrow('extraction point is not a directory');
  });
});
