// Files of a container: changes against its image (docker diff), export of the whole root
// filesystem, and docker cp (archive stat/get/put). Every container path is resolved inside the
// container's root; a symlink can never lead a read or a write onto the host.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  copyFile,
  lchown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  symlink,
} from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, SystemError } from '../../errors';
import { resolveInRoot } from './resolve-in-root';

export interface Change {
  Path: string;
  /** 0 modified, 1 added, 2 deleted (Docker's ChangeType). */
  Kind: 0 | 1 | 2;
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/**
 * docker diff from the overlay upper dir: whiteouts (0/0 char devices) are deletions, entries a
 * lower layer also has are modifications, the rest additions. Mount points berthd itself creates
 * (/etc/hosts, /dev, ...) are not the user's changes and are left out.
 */
export async function listChanges(
  upperDir: string,
  lowerDirs: readonly string[],
  ignored: ReadonlySet<string>,
): Promise<Change[]> {
  const changes: Change[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(upperDir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = posix.join('/', relative, entry.name);
      const full = join(upperDir, relative, entry.name);
      if (entry.isCharacterDevice()) {
        const info = await lstat(full);
        if (info.rdev === 0) {
          changes.push({ Path: path, Kind: 2 });
          continue;
        }
      }
      let inLower = false;
      for (const lower of lowerDirs) {
        if (await exists(join(lower, relative, entry.name))) {
          inLower = true;
          break;
        }
      }
      if (!ignored.has(path)) changes.push({ Path: path, Kind: inLower ? 0 : 1 });
      if (entry.isDirectory()) await walk(posix.join(relative, entry.name));
    }
  };
  await walk('');
  // A directory that changed only because berthd created a mount point in it is no change.
  return changes.filter(
    (change) =>
      !(
        change.Kind === 0 &&
        [...ignored].some((point) => point.startsWith(`${change.Path}/`)) &&
        !changes.some((other) => other.Path.startsWith(`${change.Path}/`))
      ),
  );
}

/**
 * A tar stream of `members` of `dir` (by default all of it: the container's root, for export).
 * `absoluteNames` names the entries "/", "/bin", ... as dockerd does for `docker cp c:/`
 * (symlink targets are left as they are).
 */
export function tarDirectory(
  dir: string,
  members: string[] = ['.'],
  options: { absoluteNames?: boolean } = {},
): { stream: Readable; done: Promise<void> } {
  const rename = options.absoluteNames ? ['-P', '--transform', 's,^\\.\\(/\\|$\\),/,S'] : [];
  const child = spawn(
    'tar',
    ['-C', dir, '--numeric-owner', '--xattrs', ...rename, '-cf', '-', '--', ...members],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new SystemError(`tar failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
  child.stdout.on('close', () => undefined);
  return { stream: child.stdout, done };
}

/** Go's os.FileMode bits, which the docker CLI decodes from X-Docker-Container-Path-Stat. */
export function goFileMode(mode: number): number {
  const type = mode & 0o170000;
  let go = mode & 0o777;
  if (mode & 0o4000) go |= 1 << 23;
  if (mode & 0o2000) go |= 1 << 22;
  if (mode & 0o1000) go |= 1 << 20;
  if (type === 0o040000) go |= 2 ** 31;
  else if (type === 0o120000) go |= 1 << 27;
  else if (type === 0o010000) go |= 1 << 25;
  else if (type === 0o140000) go |= 1 << 24;
  else if (type === 0o020000) go |= (1 << 26) | (1 << 21);
  else if (type === 0o060000) go |= 1 << 26;
  return go >>> 0;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Where `containerPath` lives on the host: the parent resolved in the root, the name kept. */
export async function hostPathFor(root: string, containerPath: string): Promise<string> {
  const clean = posix.normalize(`/${containerPath}`);
  if (clean === '/') return root;
  const parent = await resolveInRoot(root, posix.dirname(clean));
  return join(parent, posix.basename(clean));
}

export async function statPath(
  root: string,
  containerPath: string,
  containerId: string,
): Promise<PathStat & { hostPath: string }> {
  const hostPath = await hostPathFor(root, containerPath);
  const info = await lstat(hostPath).catch(() => {
    throw new NotFoundError(`Could not find the file ${containerPath} in container ${containerId}`);
  });
  const linkTarget = info.isSymbolicLink() ? await readlink(hostPath) : '';
  return {
    hostPath,
    name: posix.basename(posix.normalize(`/${containerPath}`)) || '/',
    size: info.size,
    mode: goFileMode(info.mode),
    mtime: info.mtime.toISOString(),
    linkTarget,
  };
}

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse. */
  noOverwriteDirNonDir: boolean;
  /** Keep the archive's owners (else files belong to root). */
  copyUidGid: boolean;
  /** Scratch space on the daemon's disk. */
  scratchDir: string;
}

/**
 * Extracts a tar stream into `containerPath` (an existing directory in the container). GNU tar
 * unpacks into a private scratch dir first (it refuses `..` members and defers symlinks), then
 * each entry is copied in with its parent resolved inside the root and its own name never
 * followed, so neither the archive nor the container's symlinks can redirect a write.
 */
export async function extractInto(
  root: string,
  containerPath: string,
  containerId: string,
  body: Readable,
  options: ExtractOptions,
): Promise<void> {
  const target = await resolveInRoot(root, containerPath);
  const info = await lstat(target).catch(() => {
    throw new NotFoundError(`Could not find the file ${containerPath} in container ${containerId}`);
  });
  if (!info.isDirectory()) throw new InvalidArgumentError(`extraction point is not a directory`);
  await mkdir(options.scratchDir, { recursive: true });
  const scratch = await mkdtemp(join(options.scratchDir, `cp-${randomBytes(3).toString('hex')}-`));
  try {
    await untar(body, scratch, options.copyUidGid);
    await copyTree(
      scratch,
      root,
      posix.normalize(`/${containerPath}`),
      options.noOverwriteDirNonDir,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function untar(body: Readable, dir: string, keepOwners: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      '-x',
      '-C',
      dir,
      '--numeric-owner',
      keepOwners ? '--same-owner' : '--no-same-owner',
      '-f',
      '-',
    ];
    const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    body.on('error', (error) => {
      child.kill();
      reject(error);
    });
    body.pipe(child.stdin);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new InvalidArgumentError(`invalid archive: ${stderr.trim() || `tar exited ${code}`}`),
        );
    });
  });
}

async function copyTree(
  source: string,
  root: string,
  containerDir: string,
  noOverwriteDirNonDir: boolean,
): Promise<void> {
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = join(source, entry.name);
    const containerPath = posix.join(containerDir, entry.name);
    const to = await hostPathFor(root, containerPath);
    const existing = await lstat(to).catch(() => undefined);
    const info = await lstat(from);
    if (entry.isDirectory()) {
      if (existing?.isSymbolicLink()) {
        // A symlink to a directory is followed, inside the root; its mode is not ours to change.
        const resolved = await lstat(await resolveInRoot(root, containerPath)).catch(
          () => undefined,
        );
        if (resolved?.isDirectory()) {
          await copyTree(from, root, containerPath, noOverwriteDirNonDir);
          continue;
        }
      }
      if (existing && noOverwriteDirNonDir && existing.isDirectory() !== entry.isDirectory()) {
        throw new InvalidArgumentError(
          `cannot overwrite ${existing.isDirectory() ? 'directory' : 'non-directory'} "${containerPath}" with ${entry.isDirectory() ? 'directory' : 'non-directory'}`,
        );
      }
      if (existing && !existing.isDirectory()) await rm(to, { force: true });
      if (!existing || !existing.isDirectory()) await mkdir(to);
      await copyTree(from, root, containerPath, noOverwriteDirNonDir);
    } else {
      if (existing?.isDirectory() && noOverwriteDirNonDir) {
        throw new InvalidArgumentError(
          `cannot overwrite directory "${containerPath}" with non-directory`,
        );
      }
      if (existing) await rm(to, { recursive: true, force: true });
      if (entry.isSymbolicLink()) await symlink(await readlink(from), to);
      else if (entry.isFile()) await copyFile(from, to);
      else continue; // devices, fifos and sockets are not copied into containers
    }
    await lchown(to, info.uid, info.gid);
    if (!entry.isSymbolicLink()) await chmod(to, info.mode & 0o7777);
  }
}
