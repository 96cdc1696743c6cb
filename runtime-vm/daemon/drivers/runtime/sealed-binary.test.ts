import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseRuntimeBinary, sealRuntimeBinary, sealedRuntimePath } from './sealed-binary';

const isRoot = process.getuid?.() === 0;
const mountLine = (path: string, options: string) =>
  `36 25 0:32 / ${path} ${options},relatime shared:1 - ext4 /dev/vda ${options}`;

describe('sealRuntimeBinary', () => {
  const roots: string[] = [];
  const execRoot = () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-seal-'));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('binds the binary read-only at a path that keeps its name', async () => {
    const root = execRoot();
    const target = sealedRuntimePath('/usr/bin/crun', root);
    expect(target).toBe(join(root, 'bin', 'crun'));
    const calls: string[][] = [];
    let mounted = false;
    await sealRuntimeBinary(
      '/usr/bin/crun',
      root,
      () => expect.fail('no fallback expected'),
      async (file, args) => {
        calls.push([file, ...args]);
        mounted = true;
      },
      async () => (mounted ? mountLine(target, 'ro') : ''),
    );
    expect(calls).toEqual([['mount', '--bind', '-o', 'ro', '/usr/bin/crun', target]]);
  });

  it('replaces a bind left by an earlier daemon, which may hold an older binary', async () => {
    const root = execRoot();
    const target = sealedRuntimePath('/usr/bin/crun', root);
    const calls: string[] = [];
    await sealRuntimeBinary(
      '/usr/bin/crun',
      root,
      () => undefined,
      async (file) => void calls.push(file),
      async () => mountLine(target, 'ro'),
    );
    expect(calls).toEqual(['umount', 'mount']);
  });

  it('falls back to a symlink when the bind fails or is not read-only', async () => {
    for (const failure of ['mount', 'writable']) {
      const root = execRoot();
      const target = sealedRuntimePath('/usr/sbin/runc', root);
      const reasons: string[] = [];
      let mounted = false;
      await sealRuntimeBinary(
        '/usr/sbin/runc',
        root,
        (reason) => reasons.push(reason),
        async (file) => {
          if (file === 'mount' && failure === 'mount') throw new Error('mount: permission denied');
          mounted = file === 'mount';
        },
        async () => (mounted ? mountLine(target, 'rw') : ''),
      );
      expect(reasons).toHaveLength(1);
      expect(lstatSync(target).isSymbolicLink()).toBe(true);
      expect(readlinkSync(target)).toBe('/usr/sbin/runc');
    }
  });

  it.skipIf(!isRoot)('really binds read-only, and unbinds', async () => {
    const root = execRoot();
    const target = sealedRuntimePath('/usr/sbin/runc', root);
    await sealRuntimeBinary('/usr/sbin/runc', root, (reason) => expect.fail(reason));
    const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mounts()).toMatch(new RegExp(` ${target} ro[ ,]`));
    expect(readFileSync(target).equals(readFileSync('/usr/sbin/runc'))).toBe(true);
    await releaseRuntimeBinary('/usr/sbin/runc', root);
    expect(mounts()).not.toContain(target);
    expect(existsSync(target)).toBe(true);
  });
});
