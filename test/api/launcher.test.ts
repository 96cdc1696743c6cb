// bin/berthd, the launcher every start goes through: berthd runs with jemalloc when it is
// installed (a runtime package), keeps it to itself (the processes it runs do not inherit the
// preload), and BERTHD_ALLOCATOR=system keeps glibc's allocator.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBerthd } from './helpers/berthd';

const jemalloc = `/usr/lib/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;

function mapsOf(pid: number): string {
  return readFileSync(`/proc/${pid}/maps`, 'utf8');
}

describe('bin/berthd', () => {
  it('runs berthd with jemalloc, which its children do not inherit', async () => {
    expect(existsSync(jemalloc), `${jemalloc} (apt-get install libjemalloc2)`).toBe(true);
    // berthd runs `ip` from PATH at start (the default bridge): a wrapper first on PATH records
    // the environment it was given and runs the real one.
    const dir = mkdtempSync(join(tmpdir(), 'berth-launcher-'));
    const record = join(dir, 'ip-env');
    writeFileSync(join(dir, 'ip'), `#!/bin/sh\nenv >> ${record}\nexec /usr/sbin/ip "$@"\n`, {
      mode: 0o755,
    });
    const berthd = await startBerthd({ env: { PATH: `${dir}:${process.env.PATH ?? ''}` } });
    try {
      expect(mapsOf(berthd.pid)).toContain('libjemalloc.so.2');
      const environ = readFileSync(record, 'utf8').split('\n');
      expect(environ.some((entry) => entry.startsWith('PATH='))).toBe(true);
      expect(
        environ.filter((entry) => /^(LD_PRELOAD|MALLOC_CONF|BERTHD_PRELOADED)=/.test(entry)),
      ).toEqual([]);
    } finally {
      await berthd.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps glibc's allocator with BERTHD_ALLOCATOR=system", async () => {
    const berthd = await startBerthd({ env: { BERTHD_ALLOCATOR: 'system' } });
    try {
      expect(mapsOf(berthd.pid)).not.toContain('libjemalloc');
    } finally {
      await berthd.stop();
    }
  });
});
