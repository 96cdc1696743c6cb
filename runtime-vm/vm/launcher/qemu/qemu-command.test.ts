import { describe, expect, it } from 'vitest';
import {
  chooseAccelerators,
  qemuCommand,
  virtiofsdCommand,
  type QemuCommandInput,
} from './qemu-command';

const input: QemuCommandInput = {
  arch: 'amd64',
  accelerators: ['kvm', 'tcg'],
  settings: { cpus: 2, memoryMiB: 1024, diskGiB: 8 },
  image: {
    kernel: '/img/vmlinuz',
    initramfs: '/img/initramfs.cpio',
    rootDisk: '/img/root.ext4',
    cmdline: ['quiet', 'panic=-1'],
  },
  dataDisk: '/state/data.qcow2',
  consoleLogPath: '/state/console.log',
  qmpSocket: '/state/qmp.sock',
  agentSocket: '/state/agent.sock',
  engineHostPort: 41234,
  shares: [],
};

/** The value following a flag, for each occurrence of the flag. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] as string] : []));
}

describe('qemuCommand', () => {
  it('boots the image with the accelerators in order, the root read-only and disks found by serial', () => {
    const { binary, args } = qemuCommand(input);
    expect(binary).toBe('qemu-system-x86_64');
    expect(values(args, '-accel')).toEqual(['kvm', 'tcg,thread=multi']);
    expect(values(args, '-append')).toEqual(['console=ttyS0 quiet panic=-1']);
    expect(values(args, '-drive')).toEqual([
      'if=none,id=root,file=/img/root.ext4,format=raw,readonly=on',
      'if=none,id=data,file=/state/data.qcow2,format=qcow2,discard=unmap',
    ]);
    expect(values(args, '-device')).toContain('virtio-blk-pci,drive=root,serial=berth-root');
    expect(values(args, '-device')).toContain('virtio-blk-pci,drive=data,serial=berth-data');
    expect(values(args, '-smp')).toEqual(['2']);
    expect(values(args, '-m')).toEqual(['1024M']);
    expect(args).toContain('-no-reboot');
    expect(args).toContain('-nodefaults');
  });

  it('forwards the engine port on loopback only and wires the agent port to the launcher socket', () => {
    const { args } = qemuCommand(input);
    expect(values(args, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:41234-:2375']);
    expect(values(args, '-chardev')).toEqual([
      'file,id=console,path=/state/console.log',
      'socket,id=agent,path=/state/agent.sock',
    ]);
    expect(values(args, '-device')).toContain(
      'virtserialport,bus=serial0.0,chardev=agent,name=org.berth.agent',
    );
    expect(values(args, '-qmp')).toEqual(['unix:/state/qmp.sock,server=on,wait=off']);
  });

  it('shares folders with virtiofs on shared memory, or 9p without it', () => {
    const { args } = qemuCommand({
      ...input,
      shares: [
        {
          tag: 'berth0',
          hostPath: '/home/me/src',
          fsType: 'virtiofs',
          virtiofsSocket: '/state/fs0.sock',
        },
        { tag: 'berth1', hostPath: '/srv/data', fsType: '9p' },
      ],
    });
    expect(values(args, '-object')).toEqual(['memory-backend-memfd,id=mem,size=1024M,share=on']);
    expect(values(args, '-numa')).toEqual(['node,memdev=mem']);
    expect(values(args, '-device')).toContain('vhost-user-fs-pci,chardev=fs0,tag=berth0');
    expect(values(args, '-fsdev')).toEqual(['local,id=fs1,path=/srv/data,security_model=none']);
    expect(values(args, '-device')).toContain('virtio-9p-pci,fsdev=fs1,mount_tag=berth1');
    expect(() =>
      qemuCommand({ ...input, shares: [{ tag: 't', hostPath: '/x', fsType: 'virtiofs' }] }),
    ).toThrow(/virtiofsd socket/);
  });

  it('uses the arm64 machine and console on arm64', () => {
    const { binary, args } = qemuCommand({ ...input, arch: 'arm64', accelerators: ['hvf', 'tcg'] });
    expect(binary).toBe('qemu-system-aarch64');
    expect(values(args, '-machine')).toEqual(['virt,gic-version=max']);
    expect(values(args, '-append')[0]).toMatch(/^console=ttyAMA0 /);
  });
});

describe('virtiofsdCommand', () => {
  it('speaks both virtiofsd dialects', () => {
    expect(virtiofsdCommand('/usr/lib/qemu/virtiofsd', 'c', '/s.sock', '/home').args).toEqual([
      '--socket-path=/s.sock',
      '-o',
      'source=/home',
      '-o',
      'cache=auto',
    ]);
    expect(virtiofsdCommand('/usr/libexec/virtiofsd', 'rust', '/s.sock', '/home').args).toEqual([
      '--socket-path=/s.sock',
      '--shared-dir=/home',
      '--cache=auto',
      '--sandbox=none',
    ]);
  });
});

describe('chooseAccelerators', () => {
  it('prefers the platform hypervisor with TCG behind it, and honours an override', () => {
    expect(chooseAccelerators('linux', undefined, true)).toEqual(['kvm', 'tcg']);
    expect(chooseAccelerators('linux', undefined, false)).toEqual(['tcg']);
    expect(chooseAccelerators('darwin', undefined, false)).toEqual(['hvf', 'tcg']);
    expect(chooseAccelerators('win32', undefined, false)).toEqual(['whpx', 'tcg']);
    expect(chooseAccelerators('linux', 'tcg', true)).toEqual(['tcg']);
    expect(() => chooseAccelerators('linux', 'xen', true)).toThrow(/xen is not one of/);
  });
});
