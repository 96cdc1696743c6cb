import { describe, expect, it } from 'vitest';
import { stableMacAddress, vfkitCommand, type VfkitCommandInput } from './vfkit-command';

const input: VfkitCommandInput = {
  binary: '/opt/homebrew/bin/vfkit',
  settings: { cpus: 4, memoryMiB: 4096, diskGiB: 64 },
  image: {
    kernel: '/img/vmlinuz',
    initramfs: '/img/initramfs.cpio',
    rootDisk: '/img/root.ext4',
    cmdline: ['quiet', 'panic=-1'],
  },
  dataDisk: '/state/data.raw',
  consoleLogPath: '/state/console.log',
  agentSocket: '/state/agent.sock',
  engineSocket: '/state/engine.sock',
  restSocket: '/state/vfkit.sock',
  macAddress: '5a:94:01:02:03:04',
  shares: [{ tag: 'berth0', hostPath: '/Users/me' }],
};

describe('vfkitCommand', () => {
  it('boots the kernel directly with the console on hvc0, DHCP and the vsock channel', () => {
    const { binary, args } = vfkitCommand(input);
    expect(binary).toBe('/opt/homebrew/bin/vfkit');
    expect(args).toEqual([
      '--cpus',
      '4',
      '--memory',
      '4096',
      '--bootloader',
      'linux,kernel=/img/vmlinuz,initrd=/img/initramfs.cpio,cmdline="console=hvc0 quiet panic=-1 berth.net=dhcp berth.channel=vsock"',
      '--device',
      'virtio-blk,path=/img/root.ext4,deviceId=berth-root',
      '--device',
      'virtio-blk,path=/state/data.raw,deviceId=berth-data',
      '--device',
      'virtio-net,nat,mac=5a:94:01:02:03:04',
      '--device',
      'virtio-serial,logFilePath=/state/console.log',
      '--device',
      'virtio-rng',
      '--device',
      'virtio-vsock,port=1024,socketURL=/state/agent.sock',
      '--device',
      'virtio-vsock,port=2375,socketURL=/state/engine.sock',
      '--device',
      'virtio-fs,sharedDir=/Users/me,mountTag=berth0',
      '--restful-uri',
      'unix:///state/vfkit.sock',
    ]);
  });

  it('refuses paths vfkit would split on a comma', () => {
    expect(() => vfkitCommand({ ...input, dataDisk: '/state/a,b.raw' })).toThrow(
      /comma: \/state\/a,b.raw/,
    );
  });

  it('derives a stable, locally administered MAC', () => {
    expect(stableMacAddress('/Users/me/.berth/vm')).toBe(stableMacAddress('/Users/me/.berth/vm'));
    expect(stableMacAddress('/a')).not.toBe(stableMacAddress('/b'));
    expect(stableMacAddress('/a')).toMatch(/^5a:94(:[0-9a-f]{2}){4}$/);
  });
});
