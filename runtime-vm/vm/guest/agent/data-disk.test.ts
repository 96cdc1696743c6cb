import { describe, expect, it } from 'vitest';
import { mountedDevice, parseExt4Superblock } from './data-disk';

function superblockImage(
  magic: number,
  logBlockSize: number,
  blocksLow: number,
  blocksHigh = 0,
  is64bit = false,
): Buffer {
  const image = Buffer.alloc(4096);
  const sb = image.subarray(1024);
  sb.writeUInt32LE(blocksLow, 0x04);
  sb.writeUInt32LE(logBlockSize, 0x18);
  sb.writeUInt16LE(magic, 0x38);
  sb.writeUInt32LE(is64bit ? 0x80 : 0, 0x60);
  sb.writeUInt32LE(blocksHigh, 0x150);
  return image;
}

describe('parseExt4Superblock', () => {
  it('reads the block size and count, with the high word only on 64-bit filesystems', () => {
    expect(parseExt4Superblock(superblockImage(0xef53, 2, 8_388_608))).toEqual({
      blockSize: 4096,
      blockCount: 8_388_608,
    });
    expect(parseExt4Superblock(superblockImage(0xef53, 2, 5, 1, true))).toEqual({
      blockSize: 4096,
      blockCount: 2 ** 32 + 5,
    });
    expect(parseExt4Superblock(superblockImage(0xef53, 2, 5, 1, false))?.blockCount).toBe(5);
  });

  it('says undefined for a blank disk or a short read', () => {
    expect(parseExt4Superblock(Buffer.alloc(4096))).toBeUndefined();
    expect(parseExt4Superblock(Buffer.alloc(100))).toBeUndefined();
  });
});

describe('mountedDevice', () => {
  it('finds the device mounted at a path', () => {
    const mounts = 'overlay / overlay rw 0 0\n/dev/vdb /var/lib/berth ext4 rw,noatime 0 0\n';
    expect(mountedDevice(mounts, '/var/lib/berth')).toBe('/dev/vdb');
    expect(mountedDevice(mounts, '/srv')).toBeUndefined();
  });
});
