// A container's root filesystem: the image's unpacked layers as overlayfs lower dirs, plus a
// per-container upper (the container's own changes) and work dir on the same filesystem.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, SystemError } from '../../errors';
import { CommandError, runCommand } from '../runtime/run-command';

/** Where one container's writable layer lives. */
export interface RootfsLayout {
  /** The container's changes (overlay upperdir). */
  upperDir: string;
  /** overlayfs scratch space; must share a filesystem with upperDir. */
  workDir: string;
  /** Used as the only lower dir when an image has no layers at all. */
  emptyDir: string;
}

export function rootfsLayout(containerDir: string): RootfsLayout {
  return {
    upperDir: join(containerDir, 'diff'),
    workDir: join(containerDir, 'work'),
    emptyDir: join(containerDir, 'empty'),
  };
}

// The kernel takes mount options up to one page; overlay's lowerdir list must fit in it.
const maxMountOptions = 4000;

/** overlayfs mount options; lowerdir lists the top layer first, so the input order is reversed. */
export function overlayOptions(layerPaths: readonly string[], layout: RootfsLayout): string {
  const lowers = layerPaths.length > 0 ? [...layerPaths].reverse() : [layout.emptyDir];
  for (const path of lowers) {
    if (/[,:]/.test(path)) throw new InvalidArgumentError(`layer path ${path} contains ',' or ':'`);
  }
  const options = `lowerdir=${lowers.join(':')},upperdir=${layout.upperDir},workdir=${layout.workDir}`;
  if (options.length > maxMountOptions) {
    throw new InvalidArgumentError(
      `image has too many layers (${layerPaths.length}) for overlayfs`,
    );
  }
  return options;
}

export class OverlayRootfs {
  constructor(
    private readonly mountPath = '/usr/bin/mount',
    private readonly umountPath = '/usr/bin/umount',
  ) {}

  /** Creates the per-container writable directories (idempotent). */
  async prepare(containerDir: string): Promise<RootfsLayout> {
    const layout = rootfsLayout(containerDir);
    await Promise.all([
      mkdir(layout.upperDir, { recursive: true, mode: 0o755 }),
      mkdir(layout.workDir, { recursive: true, mode: 0o700 }),
      mkdir(layout.emptyDir, { recursive: true, mode: 0o755 }),
    ]);
    return layout;
  }

  /** Mounts the layers at target (creating it); a no-op if something is already mounted there. */
  async mount(layerPaths: readonly string[], containerDir: string, target: string): Promise<void> {
    const layout = await this.prepare(containerDir);
    await mkdir(target, { recursive: true, mode: 0o755 });
    if (await isMountPoint(target)) return;
    const options = overlayOptions(layerPaths, layout);
    try {
      await runCommand(this.mountPath, ['-t', 'overlay', 'overlay', '-o', options, target]);
    } catch (error) {
      const detail = error instanceof CommandError ? error.stderr.trim() : String(error);
      throw new SystemError(`mounting the container's root filesystem failed: ${detail}`, {
        cause: error,
      });
    }
  }

  /** Unmounts target if mounted; lazily when still busy, so a stuck process cannot pin it. */
  async unmount(target: string): Promise<void> {
    if (!(await isMountPoint(target))) return;
    try {
      await runCommand(this.umountPath, [target]);
    } catch {
      await runCommand(this.umountPath, ['-l', target]).catch((error: unknown) => {
        throw new SystemError(`unmounting ${target} failed: ${String(error)}`, { cause: error });
      });
    }
  }

  /** Removes the container's writable layer (after unmount). */
  async remove(containerDir: string): Promise<void> {
    const layout = rootfsLayout(containerDir);
    await Promise.all([
      rm(layout.upperDir, { recursive: true, force: true }),
      rm(layout.workDir, { recursive: true, force: true }),
      rm(layout.emptyDir, { recursive: true, force: true }),
    ]);
  }
}

/** Whether `path` is a mount point, from /proc/self/mountinfo (field 5, octal-escaped). */
export async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return parseMountPoints(info).has(path);
}

export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(unescapeMountField(field));
  }
  return points;
}

/** The per-mount options (field 6: `ro`, `nosuid`...) of the topmost mount at `path`, if any. */
export function mountOptions(mountinfo: string, path: string): string[] | undefined {
  let options: string[] | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[4] && unescapeMountField(fields[4]) === path) options = (fields[5] ?? '').split(',');
  }
  return options;
}

const unescapeMountField = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
