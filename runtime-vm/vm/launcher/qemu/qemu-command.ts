// The QEMU command line as data: what the guest image needs (virtio disks found by serial, the
// agent's virtio-serial port, user-mode networking with the engine port forwarded to loopback,
// folder shares) and nothing else (-nodefaults: no VGA, no floppy, no emulated NIC).
import {
  AGENT_PORT_NAME,
  DATA_DISK_SERIAL,
  GUEST_ENGINE_PORT,
  ROOT_DISK_SERIAL,
} from '../../guest/protocol';
import type { GuestImageFiles, VmSettings } from '../vm-driver';

export type QemuArch = 'amd64' | 'arm64';
export type Accelerator = 'kvm' | 'hvf' | 'whpx' | 'tcg';

export interface QemuShare {
  tag: string;
  hostPath: string;
  fsType: 'virtiofs' | '9p';
  /** The vhost-user socket of this share's virtiofsd (virtiofs only). */
  virtiofsSocket?: string;
}

export interface QemuCommandInput {
  arch: QemuArch;
  /** Tried in order by QEMU itself: the first that initialises wins. */
  accelerators: Accelerator[];
  settings: VmSettings;
  image: GuestImageFiles;
  dataDisk: string;
  consoleLogPath: string;
  qmpSocket: string;
  /** A unix socket the launcher listens on; QEMU connects to it as the agent port's backend. */
  agentSocket: string;
  /** Loopback TCP port forwarded to the guest's engine relay. */
  engineHostPort: number;
  shares: QemuShare[];
}

export interface CommandLine {
  binary: string;
  args: string[];
}

const consoleDevice: Record<QemuArch, string> = { amd64: 'ttyS0', arm64: 'ttyAMA0' };

export function qemuCommand(input: QemuCommandInput): CommandLine {
  const { arch, settings, image } = input;
  if (input.accelerators.length === 0)
    throw new Error('qemuCommand: at least one accelerator is needed');
  const args: string[] = [
    '-name',
    'berth',
    ...(arch === 'amd64' ? ['-machine', 'q35'] : ['-machine', 'virt,gic-version=max']),
    ...input.accelerators.flatMap((accel) => [
      '-accel',
      accel === 'tcg' ? 'tcg,thread=multi' : accel,
    ]),
    // "max" is the host CPU under hardware acceleration and every emulated feature under TCG.
    '-cpu',
    'max',
    '-smp',
    String(settings.cpus),
    '-m',
    `${settings.memoryMiB}M`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    // A guest reboot (kernel panic=-1, or a crash) ends QEMU: the launcher decides what follows.
    '-no-reboot',
    '-rtc',
    'base=utc,clock=host',
    '-kernel',
    image.kernel,
    '-initrd',
    image.initramfs,
    '-append',
    [`console=${consoleDevice[arch]}`, ...image.cmdline].join(' '),
    '-chardev',
    `file,id=console,path=${input.consoleLogPath}`,
    '-serial',
    'chardev:console',
    '-drive',
    `if=none,id=root,file=${image.rootDisk},format=raw,readonly=on`,
    '-device',
    `virtio-blk-pci,drive=root,serial=${ROOT_DISK_SERIAL}`,
    '-drive',
    `if=none,id=data,file=${input.dataDisk},format=qcow2,discard=unmap`,
    '-device',
    `virtio-blk-pci,drive=data,serial=${DATA_DISK_SERIAL}`,
    '-netdev',
    `user,id=net0,hostfwd=tcp:127.0.0.1:${input.engineHostPort}-:${GUEST_ENGINE_PORT}`,
    '-device',
    // No iPXE option ROM: the kernel is loaded directly, and the firmware skips a slow ROM scan.
    'virtio-net-pci,netdev=net0,romfile=',
    '-device',
    'virtio-rng-pci',
    '-device',
    'virtio-serial-pci,id=serial0',
    '-chardev',
    `socket,id=agent,path=${input.agentSocket}`,
    '-device',
    `virtserialport,bus=serial0.0,chardev=agent,name=${AGENT_PORT_NAME}`,
    '-qmp',
    `unix:${input.qmpSocket},server=on,wait=off`,
  ];

  const virtiofs = input.shares.filter((share) => share.fsType === 'virtiofs');
  if (virtiofs.length > 0) {
    // vhost-user needs guest RAM that virtiofsd can map: a shared memfd backing.
    args.push(
      '-object',
      `memory-backend-memfd,id=mem,size=${settings.memoryMiB}M,share=on`,
      '-numa',
      'node,memdev=mem',
    );
  }
  input.shares.forEach((share, index) => {
    if (share.fsType === 'virtiofs') {
      if (!share.virtiofsSocket)
        throw new Error(`share ${share.hostPath}: virtiofs needs its virtiofsd socket`);
      args.push(
        '-chardev',
        `socket,id=fs${index},path=${share.virtiofsSocket}`,
        '-device',
        `vhost-user-fs-pci,chardev=fs${index},tag=${share.tag}`,
      );
    } else {
      args.push(
        '-fsdev',
        `local,id=fs${index},path=${share.hostPath},security_model=none`,
        '-device',
        `virtio-9p-pci,fsdev=fs${index},mount_tag=${share.tag}`,
      );
    }
  });
  return { binary: arch === 'amd64' ? 'qemu-system-x86_64' : 'qemu-system-aarch64', args };
}

/** The two virtiofsd implementations take different flags. */
export type VirtiofsdFlavour = 'c' | 'rust';

export function virtiofsdCommand(
  binary: string,
  flavour: VirtiofsdFlavour,
  socketPath: string,
  sharedDir: string,
): CommandLine {
  const args =
    flavour === 'rust'
      ? [
          `--socket-path=${socketPath}`,
          `--shared-dir=${sharedDir}`,
          '--cache=auto',
          '--sandbox=none',
        ]
      : [`--socket-path=${socketPath}`, '-o', `source=${sharedDir}`, '-o', 'cache=auto'];
  return { binary, args };
}

/**
 * Which accelerators to try. BERTH_VM_ACCEL overrides (e.g. `tcg` where /dev/kvm exists but
 * cannot boot ordinary kernels); otherwise the platform's hypervisor first, TCG as fallback.
 */
export function chooseAccelerators(
  platform: NodeJS.Platform,
  override: string | undefined,
  kvmUsable: boolean,
): Accelerator[] {
  if (override) {
    const wanted = override.split(',').map((name) => name.trim());
    for (const name of wanted) {
      if (!['kvm', 'hvf', 'whpx', 'tcg'].includes(name)) {
        throw new Error(`BERTH_VM_ACCEL=${override}: ${name} is not one of kvm, hvf, whpx, tcg`);
      }
    }
    return wanted as Accelerator[];
  }
  if (platform === 'linux') return kvmUsable ? ['kvm', 'tcg'] : ['tcg'];
  if (platform === 'darwin') return ['hvf', 'tcg'];
  if (platform === 'win32') return ['whpx', 'tcg'];
  return ['tcg'];
}
