// The data disk holds /var/lib/berth (images, containers, volumes). It arrives blank the first
// time: the agent formats it then, and grows the filesystem when the launcher grew the disk.
import { access, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { run } from './run';

const EXT4_MAGIC = 0xef53;

export interface Ext4Superblock {
  blockSize: number;
  blockCount: number;
}

/** Reads the ext2/3/4 superblock (at byte 1024); undefined when the device holds none. */
export function parseExt4Superblock(bytes: Buffer): Ext4Superblock | undefined {
  if (bytes.length < 1024 + 0x160) return undefined;
  const sb = bytes.subarray(1024);
  if (sb.readUInt16LE(0x38) !== EXT4_MAGIC) return undefined;
  const blockSize = 1024 << sb.readUInt32LE(0x18);
  const incompat = sb.readUInt32LE(0x60);
  const is64bit = (incompat & 0x80) !== 0;
  const high = is64bit ? sb.readUInt32LE(0x150) : 0;
  return { blockSize, blockCount: high * 2 ** 32 + sb.readUInt32LE(0x04) };
}

export async function findDiskBySerial(serial: string): Promise<string> {
  for (const name of await readdir('/sys/block')) {
    const value = await readFile(`/sys/block/${name}/serial`, 'utf8').catch(() => '');
    if (value.trim() === serial) return name;
  }
  throw new Error(
    `no disk with serial ${serial}: the launcher attaches the data disk with that serial`,
  );
}

export interface MountedDataDisk {
  device: string;
  formatted: boolean;
  grown: boolean;
}

/** Where a filesystem is mounted, from /proc/mounts: the device, or undefined. */
export function mountedDevice(procMounts: string, mountPoint: string): string | undefined {
  for (const line of procMounts.split('\n')) {
    const [device, target] = line.split(' ');
    if (target === mountPoint) return device;
  }
  return undefined;
}

async function readSuperblock(device: string): Promise<Ext4Superblock | undefined> {
  const head = Buffer.alloc(4096);
  const handle = await open(device, 'r');
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  return parseExt4Superblock(head);
}

/** Grows the filesystem online when the launcher grew the disk (by 16 MiB or more). */
async function growIfNeeded(device: string, superblock: Ext4Superblock): Promise<boolean> {
  const name = device.slice(device.lastIndexOf('/') + 1);
  const sectors = Number((await readFile(`/sys/block/${name}/size`, 'utf8')).trim());
  if (sectors * 512 - superblock.blockCount * superblock.blockSize < 16 * 1024 * 1024) return false;
  await run('resize2fs', [device]);
  return true;
}

/**
 * berth-init normally formats (first boot) and mounts the disk itself, so berthd can start
 * early; the agent then only grows it. If init could not, the agent does all of it.
 */
export async function prepareDataDisk(
  serial: string,
  mountPoint: string,
): Promise<MountedDataDisk> {
  const mounted = mountedDevice(await readFile('/proc/mounts', 'utf8'), mountPoint);
  if (mounted) {
    const superblock = await readSuperblock(mounted);
    const formatted = await access('/run/berth-agent/data-formatted').then(
      () => true,
      () => false,
    );
    return {
      device: mounted,
      formatted,
      grown: superblock ? await growIfNeeded(mounted, superblock) : false,
    };
  }
  const device = `/dev/${await findDiskBySerial(serial)}`;
  const superblock = await readSuperblock(device);
  if (!superblock) {
    await run('mkfs.ext4', [
      '-q',
      '-F',
      '-L',
      'berth-data',
      '-E',
      'lazy_itable_init=1,lazy_journal_init=1,nodiscard',
      device,
    ]);
  }
  await mkdir(mountPoint, { recursive: true });
  await run('mount', ['-t', 'ext4', '-o', 'noatime', device, mountPoint]);
  return {
    device,
    formatted: !superblock,
    grown: superblock ? await growIfNeeded(device, superblock) : false,
  };
}
