// vfkit's command line (Apple Virtualization.framework, macOS), per its documented flags:
// --bootloader linux for direct kernel boot, virtio-blk disks (raw only), NAT networking,
// virtio-serial to a log file for the console, virtio-vsock ports mapped to host unix sockets
// (the agent channel and berthd's API), virtio-fs shares and a REST socket for stop requests.
import {
  DATA_DISK_SERIAL,
  GUEST_ENGINE_PORT,
  ROOT_DISK_SERIAL,
  VSOCK_AGENT_PORT,
} from '../../guest/protocol';
import type { CommandLine } from '../qemu/qemu-command';
import type { GuestImageFiles, VmSettings } from '../vm-driver';

export interface VfkitCommandInput {
  binary: string;
  settings: VmSettings;
  image: GuestImageFiles;
  /** A raw (sparse) file: Virtualization.framework does not read qcow2. */
  dataDisk: string;
  consoleLogPath: string;
  agentSocket: string;
  engineSocket: string;
  restSocket: string;
  /** A stable MAC keeps the guest's DHCP address across restarts. */
  macAddress: string;
  shares: { tag: string; hostPath: string }[];
}

export function vfkitCommand(input: VfkitCommandInput): CommandLine {
  const cmdline = [
    'console=hvc0',
    ...input.image.cmdline,
    'berth.net=dhcp',
    'berth.channel=vsock',
  ].join(' ');
  for (const path of [
    input.image.kernel,
    input.image.initramfs,
    input.image.rootDisk,
    input.dataDisk,
  ]) {
    // vfkit splits device options on commas.
    if (path.includes(',')) throw new Error(`vfkit cannot take a path with a comma: ${path}`);
  }
  const args = [
    '--cpus',
    String(input.settings.cpus),
    '--memory',
    String(input.settings.memoryMiB),
    '--bootloader',
    `linux,kernel=${input.image.kernel},initrd=${input.image.initramfs},cmdline="${cmdline}"`,
    '--device',
    `virtio-blk,path=${input.image.rootDisk},deviceId=${ROOT_DISK_SERIAL}`,
    '--device',
    `virtio-blk,path=${input.dataDisk},deviceId=${DATA_DISK_SERIAL}`,
    '--device',
    `virtio-net,nat,mac=${input.macAddress}`,
    '--device',
    `virtio-serial,logFilePath=${input.consoleLogPath}`,
    '--device',
    'virtio-rng',
    '--device',
    `virtio-vsock,port=${VSOCK_AGENT_PORT},socketURL=${input.agentSocket}`,
    '--device',
    `virtio-vsock,port=${GUEST_ENGINE_PORT},socketURL=${input.engineSocket}`,
    ...input.shares.flatMap((share) => [
      '--device',
      `virtio-fs,sharedDir=${share.hostPath},mountTag=${share.tag}`,
    ]),
    '--restful-uri',
    `unix://${input.restSocket}`,
  ];
  return { binary: input.binary, args };
}

/** A locally administered unicast MAC derived from a seed (the VM's state folder). */
export function stableMacAddress(seed: string): string {
  let hash = 2166136261;
  for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  const bytes = [
    0x5a,
    0x94,
    (hash >>> 24) & 0xff,
    (hash >>> 16) & 0xff,
    (hash >>> 8) & 0xff,
    hash & 0xff,
  ];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}
