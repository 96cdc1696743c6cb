// The container's filesystem as docker cp sees it: the root filesystem with the container's
// volumes and bind mounts on top, for a running container and for one that is stopped or was
// never started (dockerd mounts volumes for archive access in both cases). The view is a private
// bind of the root in its own folder, so nothing mounted for it reaches the running container
// or the host's other mount namespaces, and one lazy unmount releases all of it.
import { mkdir, open, rmdir, stat } from 'node:fs/promises';
import { dirname, posix, relative, sep } from 'node:path';
import { SystemError } from '../../errors';
import { runCommand } from '../../drivers/runtime/run-command';
import { resolveInRoot } from './resolve-in-root';

/** A bind or volume mount of the container, as docker cp needs it. */
export interface ArchiveMount {
  /** Host path (a bind's source, or the volume's data folder). */
  source: string;
  /** Absolute path inside the container. */
  destination: string;
  readOnly: boolean;
}

export interface MountPointLike {
  Type?: unknown;
  Source?: unknown;
  Destination?: unknown;
  RW?: unknown;
}

/** The files a started container gets bind-mounted over its image's, as runc mounts them. */
export interface HostFiles {
  HostsPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
}

/**
 * The host files as Mounts[]-like entries, for a path that can reach them (the root, /etc, or
 * the file itself), so docker cp and the Files tab read what the container reads. Left out when
 * a user mount already covers the destination, as in the runtime spec; and for other paths, so
 * they cost no mount.
 */
export function hostFileMountPoints(
  files: HostFiles,
  containerPath: string,
  taken: ReadonlySet<string>,
): MountPointLike[] {
  const path = posix.normalize(`/${containerPath}`).replace(/(.)\/\.?$/, '$1');
  const entries: [string, string][] = [
    ['/etc/resolv.conf', files.ResolvConfPath],
    ['/etc/hostname', files.HostnamePath],
    ['/etc/hosts', files.HostsPath],
  ];
  return entries
    .filter(([destination]) => !taken.has(destination))
    .filter(([destination]) => path === '/' || path === '/etc' || path === destination)
    .map(([Destination, Source]) => ({ Type: 'bind', Source, Destination, RW: true }));
}

/**
 * The binds and volumes among inspect's Mounts[], parents first (a volume at /data must be in
 * place before a bind at /data/cache). tmpfs mounts live only in the container's namespace.
 */
export function archiveMounts(mountPoints: readonly object[]): ArchiveMount[] {
  const mounts: ArchiveMount[] = [];
  for (const point of mountPoints as MountPointLike[]) {
    if (point.Type !== 'bind' && point.Type !== 'volume') continue;
    if (typeof point.Source !== 'string' || !point.Source.startsWith('/')) continue;
    if (typeof point.Destination !== 'string' || !point.Destination.startsWith('/')) continue;
    mounts.push({
      source: point.Source,
      destination: posix.normalize(point.Destination).replace(/(.)\/$/, '$1'),
      readOnly: point.RW === false,
    });
  }
  const depth = (path: string) => path.split('/').filter(Boolean).length;
  return mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
}

/** The innermost mount holding `containerPath` (already resolved in the container's root). */
export function mountHolding(
  mounts: readonly ArchiveMount[],
  containerPath: string,
): ArchiveMount | undefined {
  const path = posix.normalize(`/${containerPath}`);
  let holder: ArchiveMount | undefined;
  for (const mount of mounts) {
    const inside = path === mount.destination || path.startsWith(`${mount.destination}/`);
    if (inside && (!holder || mount.destination.length > holder.destination.length)) holder = mount;
  }
  return holder;
}

/** A host path under `root` as the container names it ('/' for the root itself). */
export function containerPathOf(root: string, hostPath: string): string {
  const rel = relative(root, hostPath);
  return posix.join('/', ...rel.split(sep).filter((part) => part !== '' && part !== '.'));
}

export interface MountedView {
  /** The root filesystem with the mounts in place. */
  root: string;
  close(): Promise<void>;
}

/** Creates the mount point the way dockerd does: a folder, or an empty file for a file source. */
async function ensureMountPoint(source: string, target: string): Promise<void> {
  const sourceInfo = await stat(source).catch(() => {
    throw new SystemError(`mount source ${source} does not exist`);
  });
  if (sourceInfo.isDirectory()) {
    await mkdir(target, { recursive: true });
    return;
  }
  await mkdir(dirname(target), { recursive: true });
  const handle = await open(target, 'a');
  await handle.close();
}

async function mount(args: string[], what: string): Promise<void> {
  try {
    await runCommand('/usr/bin/mount', args);
  } catch (error) {
    throw new SystemError(`mounting ${what} for file access failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Binds `root` at `viewDir` (private) and mounts each of `mounts` inside it at its destination,
 * resolved in the view so a symlink in the container cannot place a mount on the host.
 */
export async function openMountedView(
  root: string,
  viewDir: string,
  mounts: readonly ArchiveMount[],
): Promise<MountedView> {
  await mkdir(viewDir, { recursive: true, mode: 0o700 });
  await mount(['--bind', '--make-private', root, viewDir], 'the root filesystem');
  const close = async () => {
    await runCommand('/usr/bin/umount', ['-l', viewDir]);
    // Never a recursive removal: had the unmount not happened, that would empty the container.
    await rmdir(viewDir).catch(() => undefined);
  };
  try {
    for (const entry of mounts) {
      const target = await resolveInRoot(viewDir, entry.destination);
      await ensureMountPoint(entry.source, target);
      const options = entry.readOnly ? ['-o', 'ro'] : [];
      await mount(
        ['--rbind', ...options, '--make-rprivate', entry.source, target],
        entry.destination,
      );
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { root: viewDir, close };
}
