// What app/main uses to run the VM: the state machine, the drivers, and a default per platform.
import { QemuDriver } from './qemu/qemu-driver';
import { VfkitDriver } from './vfkit/vfkit-driver';
import type { VmDriver } from './vm-driver';
import { WslDriver } from './wsl/wsl-driver';

export { QemuDriver } from './qemu/qemu-driver';
export { VfkitDriver } from './vfkit/vfkit-driver';
export { WslDriver } from './wsl/wsl-driver';
export {
  VmMachine,
  type BootReport,
  type HeartbeatInfo,
  type VmMachineOptions,
  type VmState,
} from './vm-machine';
export type { GuestImageFiles, PortForward, VmDriver, VmSettings } from './vm-driver';
export { DEFAULT_SETTINGS } from './vm-driver';

/**
 * Virtualization.framework through vfkit on macOS, WSL2 on Windows, QEMU elsewhere (and wherever
 * `BERTH_VM_DRIVER=qemu` asks for it).
 */
export function defaultDriver(
  platform: NodeJS.Platform = process.platform,
  override = process.env.BERTH_VM_DRIVER,
): VmDriver {
  const kind =
    override ?? (platform === 'darwin' ? 'vfkit' : platform === 'win32' ? 'wsl2' : 'qemu');
  if (kind === 'vfkit') return new VfkitDriver();
  if (kind === 'wsl2') return new WslDriver();
  if (kind === 'qemu') return new QemuDriver();
  throw new Error(`BERTH_VM_DRIVER=${kind}: expected qemu, vfkit or wsl2`);
}
