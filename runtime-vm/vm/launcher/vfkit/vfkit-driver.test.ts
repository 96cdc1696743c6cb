import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRawDataDisk } from './vfkit-driver';

describe('ensureRawDataDisk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-vfkit-disk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a sparse disk, grows it, and refuses to shrink it', () => {
    const disk = join(dir, 'data.raw');
    expect(ensureRawDataDisk(disk, 2)).toEqual({});
    expect(statSync(disk).size).toBe(2 * 1024 ** 3);
    expect(statSync(disk).blocks).toBe(0);
    expect(ensureRawDataDisk(disk, 3)).toEqual({});
    expect(statSync(disk).size).toBe(3 * 1024 ** 3);
    expect(ensureRawDataDisk(disk, 1).warning).toMatch(
      /stays at 3.0 GiB: it cannot shrink to 1 GiB/,
    );
    expect(statSync(disk).size).toBe(3 * 1024 ** 3);
  });
});
