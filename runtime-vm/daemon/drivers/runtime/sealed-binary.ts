// The OCI runtime's binary, bound read-only under the exec root. runc and crun guard against
// CVE-2019-5736 (a container overwriting the host's runtime through /proc/<pid>/exe) by copying
// or re-binding themselves and re-executing on every call. They skip that when their binary is on
// a read-only mount and _LIBCONTAINER_CLONED_BINARY is set: the guard holds, and each crun call
// starts about 5 ms sooner here (crun exec 21 → 16 ms). On a writable file the variable changes
// nothing, so it is always set.
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mountOptions } from '../rootfs/overlay-rootfs';
import { runCommand } from './run-command';

/** What runtime calls add to berthd's environment. */
export const SEALED_RUNTIME_ENV: Readonly<Record<string, string>> = {
  _LIBCONTAINER_CLONED_BINARY: '1',
};

/** Where berthd runs `binary` from: known before the bind exists, so drivers can be built early. */
export function sealedRuntimePath(binary: string, execRoot: string): string {
  // The name stays: crun is told from runc by it.
  return join(execRoot, 'bin', basename(binary));
}

type Run = (file: string, args: string[]) => Promise<unknown>;

/**
 * Binds `binary` read-only at its sealed path. A bind left by a killed berthd is replaced (it may
 * hold an older binary). Should binding fail, a symlink to the binary takes its place: the
 * runtime then re-executes itself as usual.
 */
export async function sealRuntimeBinary(
  binary: string,
  execRoot: string,
  onFallback: (reason: string) => void,
  run: Run = runCommand,
  readMountinfo = () => readFile('/proc/self/mountinfo', 'utf8'),
): Promise<void> {
  const target = sealedRuntimePath(binary, execRoot);
  await mkdir(join(execRoot, 'bin'), { recursive: true, mode: 0o711 });
  try {
    await releaseRuntimeBinary(binary, execRoot, run, readMountinfo);
    await rm(target, { force: true });
    await writeFile(target, '', { mode: 0o755 });
    await run('mount', ['--bind', '-o', 'ro', binary, target]);
    if (!mountOptions(await readMountinfo(), target)?.includes('ro')) {
      throw new Error(`the bind of ${binary} at ${target} is not read-only`);
    }
  } catch (error) {
    onFallback((error as Error).message);
    await releaseRuntimeBinary(binary, execRoot, run, readMountinfo).catch(() => undefined);
    await rm(target, { force: true });
    await symlink(binary, target);
  }
}

/**
 * Unbinds the sealed binary (daemon stop); a no-op when it is not bound. Lazily: long execs and
 * created containers still run crun from it.
 */
export async function releaseRuntimeBinary(
  binary: string,
  execRoot: string,
  run: Run = runCommand,
  readMountinfo = () => readFile('/proc/self/mountinfo', 'utf8'),
): Promise<void> {
  const target = sealedRuntimePath(binary, execRoot);
  if (mountOptions(await readMountinfo(), target)) await run('umount', ['-l', target]);
}
