// Stage 1 as an uncompressed newc cpio (a few MB; skipping decompression is faster than
// reading fewer bytes under emulation): busybox, the virtio modules in load order, and /init.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT_DISK_SERIAL } from '../guest/protocol';
import { moduleLoadOrder, parseModulesDep } from './module-order';
import { STAGE1_MODULES } from './recipe';
import { runTool } from './run-command';

export interface InitramfsOptions {
  /** The finished base root: busybox and the depmod'ed modules come from it. */
  rootfs: string;
  kernelRelease: string;
  stage1Script: string;
  output: string;
  workDir: string;
}

export async function buildInitramfs(options: InitramfsOptions): Promise<string[]> {
  const { rootfs, kernelRelease, workDir } = options;
  rmSync(workDir, { recursive: true, force: true });
  for (const dir of ['bin', 'modules', 'dev', 'proc', 'sys'])
    mkdirSync(join(workDir, dir), { recursive: true });

  copyFileSync(join(rootfs, 'bin/busybox'), join(workDir, 'bin/busybox'));
  chmodSync(join(workDir, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(workDir, 'bin/sh'));

  const modulesRoot = join(rootfs, 'lib/modules', kernelRelease);
  const order = moduleLoadOrder(
    parseModulesDep(readFileSync(join(modulesRoot, 'modules.dep'), 'utf8')),
    STAGE1_MODULES,
  );
  for (const path of order)
    copyFileSync(join(modulesRoot, path), join(workDir, 'modules', basename(path)));
  writeFileSync(
    join(workDir, 'modules.order'),
    order.map((path) => basename(path)).join('\n') + '\n',
  );

  const script = readFileSync(options.stage1Script, 'utf8').replace(
    '@ROOT_SERIAL@',
    ROOT_DISK_SERIAL,
  );
  writeFileSync(join(workDir, 'init'), script, { mode: 0o755 });

  await runTool(
    'sh',
    [
      '-c',
      'find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc --reproducible --quiet --owner=0:0 > "$0"',
      options.output,
    ],
    { cwd: workDir, nice: true },
  );
  rmSync(workDir, { recursive: true, force: true });
  return order.map((path) => basename(path, '.ko'));
}
