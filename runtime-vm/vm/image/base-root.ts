// The root filesystem's Debian part: a minbase debootstrap with the runtime packages, the kernel's
// modules (depmod'ed inside the root, so its modprobe can load bridge, veth and netfilter on
// demand) and documentation pruned. Cached by key: it is the slow step (minutes, mostly dpkg).
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostDebianArch, type UnpackedKernel } from './kernel-package';
import {
  DEBIAN_MIRROR,
  DEBIAN_SUITE,
  ROOT_MODULE_DIRS,
  ROOT_PACKAGES,
  ROOT_PRUNE_PATHS,
  type ArchProfile,
} from './recipe';
import { BuildStepError, runTool } from './run-command';

export interface BaseRootOptions {
  profile: ArchProfile;
  kernel: UnpackedKernel;
  cacheDir: string;
  key: string;
  log: (line: string) => void;
}

export async function buildBaseRoot(options: BaseRootOptions): Promise<string> {
  const { profile, cacheDir, key } = options;
  const target = join(cacheDir, `base-${profile.debianArch}-${key}`);
  if (existsSync(join(target, 'rootfs/etc/debian_version'))) return join(target, 'rootfs');

  const staging = `${target}.tmp-${process.pid}`;
  const rootfs = join(staging, 'rootfs');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const debCache = join(cacheDir, 'apt');
  mkdirSync(debCache, { recursive: true });
  try {
    await populateRoot(options, rootfs, debCache);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return join(target, 'rootfs');
}

async function populateRoot(
  options: BaseRootOptions,
  rootfs: string,
  debCache: string,
): Promise<void> {
  const { profile, kernel, log } = options;

  const foreign = profile.debianArch !== hostDebianArch();
  log(
    `debootstrap ${DEBIAN_SUITE} minbase for ${profile.debianArch}${foreign ? ' (foreign, two stages)' : ''}`,
  );
  await runTool(
    'debootstrap',
    [
      '--variant=minbase',
      `--arch=${profile.debianArch}`,
      `--include=${ROOT_PACKAGES.join(',')}`,
      `--cache-dir=${debCache}`,
      ...(foreign ? ['--foreign'] : []),
      DEBIAN_SUITE,
      rootfs,
      DEBIAN_MIRROR,
    ],
    { nice: true },
  );
  if (foreign) await runSecondStage(profile, rootfs);

  log(`kernel modules ${kernel.release}`);
  const modulesTarget = join(rootfs, 'lib/modules', kernel.release);
  for (const dir of ROOT_MODULE_DIRS) {
    const from = join(kernel.modulesDir, dir);
    if (existsSync(from)) cpSync(from, join(modulesTarget, dir), { recursive: true });
  }
  for (const file of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
    const from = join(kernel.modulesDir, file);
    if (existsSync(from)) cpSync(from, join(modulesTarget, file));
  }
  await runTool('chroot', [rootfs, '/sbin/depmod', kernel.release], { nice: true });
  if (foreign) rmSync(join(rootfs, profile.qemuUserStatic), { force: true });

  for (const path of ROOT_PRUNE_PATHS) {
    rmSync(join(rootfs, path), { recursive: true, force: true });
    mkdirSync(join(rootfs, path), { recursive: true });
  }
  // The agent writes DNS settings at boot; the root image itself stays read-only.
  rmSync(join(rootfs, 'etc/resolv.conf'), { force: true });
  writeFileSync(join(rootfs, 'etc/hostname'), 'berth\n');
  writeFileSync(
    join(rootfs, 'etc/hosts'),
    '127.0.0.1\tlocalhost\n127.0.1.1\tberth\n::1\tlocalhost\n',
  );
}

async function runSecondStage(profile: ArchProfile, rootfs: string): Promise<void> {
  // binfmt_misc with qemu-user-static (Debian package qemu-user-static) runs the foreign binaries
  // (here and for depmod); the static interpreter must be visible inside the chroot until then.
  if (!existsSync(profile.qemuUserStatic)) {
    throw new BuildStepError(
      `building a ${profile.debianArch} root on ${hostDebianArch()} needs ${profile.qemuUserStatic} (apt-get install qemu-user-static)`,
    );
  }
  const inside = join(rootfs, profile.qemuUserStatic);
  cpSync(profile.qemuUserStatic, inside);
  await runTool('chroot', [rootfs, '/debootstrap/debootstrap', '--second-stage'], { nice: true });
}
