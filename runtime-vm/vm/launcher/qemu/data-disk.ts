// The data disk is a qcow2 file in the VM's state folder: created at the first start (the guest
// formats it), grown when the disk-size setting grows. Shrinking would lose data, so it is refused
// with a warning and the disk keeps its size.
import { existsSync } from 'node:fs';
import { runHostTool } from '../host-tool';

export async function ensureDataDisk(path: string, sizeGiB: number): Promise<{ warning?: string }> {
  if (!existsSync(path)) {
    await runHostTool('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${sizeGiB}G`]);
    return {};
  }
  const info = JSON.parse(await runHostTool('qemu-img', ['info', '--output=json', '-U', path])) as {
    'virtual-size': number;
  };
  const wanted = sizeGiB * 1024 ** 3;
  if (wanted > info['virtual-size']) {
    await runHostTool('qemu-img', ['resize', '-q', path, `${sizeGiB}G`]);
    return {};
  }
  if (wanted < info['virtual-size']) {
    const current = (info['virtual-size'] / 1024 ** 3).toFixed(1);
    return {
      warning: `the data disk stays at ${current} GiB: it cannot shrink to ${sizeGiB} GiB without losing data (reset engine data to start smaller)`,
    };
  }
  return {};
}
