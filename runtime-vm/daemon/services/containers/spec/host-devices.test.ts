import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostDevices, splitDeviceNumber } from './host-devices';

describe('splitDeviceNumber', () => {
  it('splits st_rdev like glibc major()/minor(), large numbers included', () => {
    // glibc's makedev(), in BigInt so the high bits survive.
    const makedev = (major: bigint, minor: bigint) =>
      Number(
        ((major & 0xfffn) << 8n) |
          ((major & ~0xfffn) << 32n) |
          (minor & 0xffn) |
          ((minor & ~0xffn) << 12n),
      );
    expect(splitDeviceNumber(makedev(1n, 3n))).toEqual({ major: 1, minor: 3 });
    expect(splitDeviceNumber(makedev(259n, 70000n))).toEqual({ major: 259, minor: 70000 });
    expect(splitDeviceNumber(makedev(4101n, 5n))).toEqual({ major: 4101, minor: 5 });
  });
});

describe('hostDevices', () => {
  it('lists the char and block devices of /dev with their numbers and modes', async () => {
    const devices = await hostDevices();
    const nullDevice = devices.find((d) => d.path === '/dev/null');
    expect(nullDevice).toMatchObject({ type: 'c', major: 1, minor: 3 });
    expect(nullDevice?.fileMode).toBe(statSync('/dev/null').mode & 0o7777);
    expect(devices.some((d) => d.path === '/dev/console' || d.path.startsWith('/dev/pts/'))).toBe(
      false,
    );
  });

  it('skips regular files, symlinks and the per-container directories', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-devs-'));
    try {
      writeFileSync(join(root, 'plain'), '');
      symlinkSync('/dev/null', join(root, 'link'));
      mkdirSync(join(root, 'pts'));
      expect(await hostDevices(root)).toEqual([]);
      expect(await hostDevices(join(root, 'missing'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
