// The host's device nodes, for `--privileged`: Docker gives such a container every char and
// block device under /dev (runc creates the nodes in the container's own /dev tmpfs).
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciDevice } from '../../../drivers/runtime/oci-spec';

/** Directories runc and Docker leave out: the container gets its own instances of these. */
const skippedDirectories = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** `st_rdev` → major/minor, as glibc's gnu_dev_major/gnu_dev_minor split it. */
export function splitDeviceNumber(rdev: number): { major: number; minor: number } {
  const value = BigInt(rdev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & 0xfffff000n);
  const minor = (value & 0xffn) | ((value >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export function deviceFromStats(path: string, stats: Stats): OciDevice | undefined {
  const type = stats.isCharacterDevice() ? 'c' : stats.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return {
    path,
    type,
    ...splitDeviceNumber(stats.rdev),
    fileMode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
  };
}

/** Every device node under `root` (default /dev), symlinks and the console left out. */
export async function hostDevices(root = '/dev'): Promise<OciDevice[]> {
  const devices: OciDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // gone or unreadable meanwhile (hotplug): nothing to hand over
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skippedDirectories.has(entry.name)) await walk(path);
        continue;
      }
      if (entry.name === 'console' || !(entry.isCharacterDevice() || entry.isBlockDevice())) {
        continue;
      }
      const stats = await lstat(path).catch(() => undefined);
      const device = stats && deviceFromStats(path, stats);
      if (device) devices.push(device);
    }
  };
  await walk(root);
  return devices.sort((a, b) => a.path.localeCompare(b.path));
}
