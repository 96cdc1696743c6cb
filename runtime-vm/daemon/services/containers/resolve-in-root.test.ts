import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from './resolve-in-root';

describe('resolveInRoot', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-root-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'real'));
  symlinkSync('/etc/shadow', join(root, 'etc', 'passwd'));
  symlinkSync('../../../../../real', join(root, 'up'));
  symlinkSync('real', join(root, 'rel'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('absolute symlinks resolve inside the root, not on the host', async () => {
    expect(await resolveInRoot(root, '/etc/passwd')).toBe(join(root, 'etc', 'shadow'));
  });

  it('.. stops at the root', async () => {
    expect(await resolveInRoot(root, '/up/file')).toBe(join(root, 'real', 'file'));
    expect(await resolveInRoot(root, '/../../etc')).toBe(join(root, 'etc'));
  });

  it('relative symlinks and missing tails', async () => {
    expect(await resolveInRoot(root, '/rel/a/b')).toBe(join(root, 'real', 'a', 'b'));
    expect(await resolveInRoot(root, 'work/dir')).toBe(join(root, 'work', 'dir'));
  });
});
