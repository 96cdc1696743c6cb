import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crunHybridScript, hybridV2WithControllers } from './crun-hybrid';

const v1 = '30 23 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory';
const hybridV2 = '34 23 0:30 / /sys/fs/cgroup/unified rw,relatime shared:13 - cgroup2 cgroup2 rw';
const pureV2 = '23 21 0:22 / /sys/fs/cgroup rw,nosuid shared:7 - cgroup2 cgroup2 rw,nsdelegate';

describe('hybridV2WithControllers', () => {
  it('finds the v2 mount of a hybrid host only when it holds controllers', () => {
    const controllers = (text: string) => (path: string) => {
      expect(path).toBe('/sys/fs/cgroup/unified');
      return text;
    };
    const hybrid = [v1, hybridV2].join('\n');
    expect(hybridV2WithControllers(hybrid, controllers('hugetlb\n'))).toBe(
      '/sys/fs/cgroup/unified',
    );
    expect(hybridV2WithControllers(hybrid, controllers('\n'))).toBeUndefined();
    expect(hybridV2WithControllers(v1, controllers('hugetlb'))).toBeUndefined();
    expect(hybridV2WithControllers(pureV2, controllers('memory pids'))).toBeUndefined();
  });
});

describe('crunHybridScript', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-crun-hybrid-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the script with stand-ins for crun and unshare that print how they were called. */
  function route(args: string[]): string {
    const fake = (name: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\necho ${name} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const crun = fake('crun');
    fake('unshare');
    const script = join(dir, 'crun-hybrid');
    writeFileSync(script, crunHybridScript(crun, "/sys/fs/cgroup/it's unified"));
    // As conmon runs it: through /bin/sh, since the exec root may be mounted noexec.
    return execFileSync('/bin/sh', [script, ...args], { env: { PATH: `${dir}:/usr/bin:/bin` } })
      .toString()
      .trim();
  }

  it('runs create in a mount namespace without the v2 hierarchy, and the rest as is', () => {
    const crun = join(dir, 'crun');
    expect(route(['--root=/r', 'create', '--bundle', '/b', 'id'])).toBe(
      `unshare --mount --propagation private sh -c umount "$0" && exec "$@" ` +
        `/sys/fs/cgroup/it's unified ${crun} --root=/r create --bundle /b id`,
    );
    expect(route(['--root=/r', 'exec', '--process', '/p', 'id'])).toBe(
      'crun --root=/r exec --process /p id',
    );
    expect(route(['--root=/r', 'delete', 'create'])).toBe('crun --root=/r delete create');
  });
});
