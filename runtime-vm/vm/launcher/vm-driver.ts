// One interface over the hypervisors Berth can boot its guest with: QEMU (Linux, and the
// fallback everywhere), vfkit (Apple Virtualization.framework) and WSL2. The state machine in
// vm-machine.ts drives any of them the same way.
import type { Duplex } from 'node:stream';

export interface VmSettings {
  cpus: number;
  memoryMiB: number;
  /** Size of the data disk (images, containers, volumes); it can grow, never shrink. */
  diskGiB: number;
}

export const DEFAULT_SETTINGS: VmSettings = { cpus: 2, memoryMiB: 2048, diskGiB: 32 };

/** Files of a built guest image (see image/build-image.ts). */
export interface GuestImageFiles {
  kernel: string;
  initramfs: string;
  rootDisk: string;
  /** Kernel command line without the console device. */
  cmdline: string[];
  /** A tarball of the root, for WSL2's `--import` (which takes no disk image). */
  rootTarball?: string;
}

export interface VmLaunchSpec {
  image: GuestImageFiles;
  settings: VmSettings;
  /** Private to this VM: data disk, sockets, pid files. */
  stateDir: string;
  /** The guest console (kernel, init, agent, berthd output) is written here. */
  consoleLogPath: string;
  /** Host folders shared with the guest at the same absolute path. */
  shares: string[];
}

export interface PortForward {
  protocol: 'tcp' | 'udp';
  /** Host address to listen on: 127.0.0.1 unless the user asked for more. */
  hostIp: string;
  hostPort: number;
  guestPort: number;
}

export interface ShareMount {
  tag: string;
  path: string;
  fsType: 'virtiofs' | '9p';
}

export interface VmExit {
  code: number | null;
  signal: string | null;
}

/** A running VM as the driver sees it. */
export interface VmInstance {
  readonly pid: number | undefined;
  /** Resolves when the hypervisor process is gone, whatever the reason. */
  readonly exited: Promise<VmExit>;
  /** What the accelerator actually in use is (kvm, hvf, whpx, tcg, vz, wsl2). */
  readonly accelerator: string;
  /** Shares the agent must mount once it says hello. */
  readonly shareMounts: ShareMount[];
  /** The byte stream to the guest agent; resolves when the guest side is connected. */
  agentChannel(): Promise<Duplex>;
  /** A new connection to berthd's API inside the guest. */
  connectEngine(): Promise<Duplex>;
  /** Tells the instance where the guest is, from the agent's `network` message. */
  setGuestAddress(address: string): void;
  forwardPort(forward: PortForward): Promise<void>;
  unforwardPort(forward: PortForward): Promise<void>;
  /** Stops the hypervisor at once (no guest shutdown) and waits for it to exit. */
  hardStop(): Promise<void>;
}

export interface VmDriver {
  readonly kind: 'qemu' | 'vfkit' | 'wsl2';
  launch(spec: VmLaunchSpec): Promise<VmInstance>;
}

export class VmLaunchError extends Error {
  override readonly name = 'VmLaunchError';
}

export function validateSettings(settings: VmSettings): VmSettings {
  const { cpus, memoryMiB, diskGiB } = settings;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64)
    throw new VmLaunchError(`cpus must be an integer from 1 to 64, not ${cpus}`);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 256 || memoryMiB > 262_144) {
    throw new VmLaunchError(`memoryMiB must be an integer from 256 to 262144, not ${memoryMiB}`);
  }
  if (!Number.isInteger(diskGiB) || diskGiB < 1 || diskGiB > 4096)
    throw new VmLaunchError(`diskGiB must be an integer from 1 to 4096, not ${diskGiB}`);
  return settings;
}
