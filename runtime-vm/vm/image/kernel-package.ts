// The guest kernel comes from Debian's cloud kernel package: downloaded with apt-get, unpacked
// with dpkg-deb, never installed on the build host.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchProfile } from './recipe';
import { BuildStepError, runTool } from './run-command';

export interface KernelPackage {
  /** The versioned package the metapackage depends on, e.g. linux-image-6.1.0-56-cloud-amd64. */
  packageName: string;
  packageVersion: string;
}

export interface UnpackedKernel extends KernelPackage {
  /** The kernel release, the folder name under lib/modules. */
  release: string;
  vmlinuz: string;
  modulesDir: string;
}

/** Asks the host's apt lists which kernel the metapackage currently points at. */
export async function resolveKernelPackage(profile: ArchProfile): Promise<KernelPackage> {
  const meta =
    profile.debianArch === hostDebianArch()
      ? profile.kernelMetaPackage
      : `${profile.kernelMetaPackage}:${profile.debianArch}`;
  const depends = await runTool('apt-cache', ['depends', meta]).catch((error: Error) => {
    throw new BuildStepError(
      `cannot resolve ${meta}: ${error.message}\n(run apt-get update; for arm64 also dpkg --add-architecture arm64)`,
    );
  });
  const match = /Depends: (linux-image-[^\s:]+)/.exec(depends);
  if (!match?.[1])
    throw new BuildStepError(`${meta} depends on no linux-image package:\n${depends}`);
  const packageName = match[1];
  const show = await runTool('apt-cache', ['show', '--no-all-versions', packageName]);
  const version = /^Version: (\S+)/m.exec(show)?.[1];
  if (!version) throw new BuildStepError(`apt-cache show ${packageName} gave no Version`);
  return { packageName, packageVersion: version };
}

export function hostDebianArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** Downloads (into the shared .deb cache) and unpacks the kernel once per version. */
export async function unpackKernel(
  kernel: KernelPackage,
  profile: ArchProfile,
  cacheDir: string,
): Promise<UnpackedKernel> {
  const target = join(cacheDir, `kernel-${kernel.packageName}-${kernel.packageVersion}`);
  if (!existsSync(join(target, 'done'))) {
    const debDir = join(cacheDir, 'apt');
    mkdirSync(debDir, { recursive: true });
    const spec =
      profile.debianArch === hostDebianArch()
        ? kernel.packageName
        : `${kernel.packageName}:${profile.debianArch}`;
    const debName = `${kernel.packageName}_${kernel.packageVersion.replace(/:/g, '%3a')}_${profile.debianArch}.deb`;
    if (!existsSync(join(debDir, debName)))
      await runTool('apt-get', ['download', `${spec}=${kernel.packageVersion}`], { cwd: debDir });
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    await runTool('dpkg-deb', ['-x', join(debDir, debName), staging], { nice: true });
    await runTool('touch', [join(staging, 'done')]);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  }
  const releases = readdirSync(join(target, 'lib/modules'));
  const release = releases[0];
  if (releases.length !== 1 || !release) {
    throw new BuildStepError(
      `${kernel.packageName} ships ${releases.length} module trees, expected one`,
    );
  }
  const vmlinuz = join(target, 'boot', `${profile.kernelFilePrefix}${release}`);
  if (!existsSync(vmlinuz))
    throw new BuildStepError(
      `${kernel.packageName} has no boot/${profile.kernelFilePrefix}${release}`,
    );
  return { ...kernel, release, vmlinuz, modulesDir: join(target, 'lib/modules', release) };
}
