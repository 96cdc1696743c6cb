// Writes COPY/ADD sources into a step's mounted root filesystem with Docker's rules: a folder's
// content (not the folder) is copied, a file lands at the destination or inside it when the
// destination ends with `/` or is a folder, files belong to root unless --chown, --chmod sets
// modes, ADD unpacks local tar archives. Every destination is resolved inside the root.
import { spawn } from 'node:child_process';
import {
  chmod,
  copyFile,
  lchown,
  lstat,
  lutimes,
  mkdir,
  open,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import { hostPathFor } from '../containers/container-files';
import { resolveInRoot } from '../containers/resolve-in-root';
import { parseGroup, parsePasswd } from '../containers/spec/user';
import { CopySourceError, treeOf, type CopySource, type SourceRoot } from './copy-sources';

export interface Ownership {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  /** Absolute destination in the image, already expanded and resolved against WORKDIR. */
  dest: string;
  /** The destination as written ends with `/`. */
  destIsDir: boolean;
  owner?: Ownership;
  mode?: number;
  /** ADD: unpack local archives. */
  extractArchives: boolean;
  keyword: string;
  /** Scratch space for archive extraction. */
  scratchDir: string;
}

const isNumeric = (text: string) => /^\d+$/.test(text);

/** `--chown=user[:group]`, names resolved in the image's own /etc/passwd and /etc/group. */
export async function resolveChown(root: string, spec: string): Promise<Ownership> {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const group = groupPart ?? userPart;
  const read = async (path: string) =>
    readFile(await resolveInRoot(root, path), 'utf8').catch(() => '');
  let uid: number;
  if (isNumeric(userPart)) uid = Number(userPart);
  else {
    const entry = parsePasswd(await read('/etc/passwd')).find((p) => p.name === userPart);
    if (!entry)
      throw new InvalidArgumentError(
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ${userPart}: no such user: ${userPart}`,
      );
    uid = entry.uid;
  }
  let gid: number;
  if (isNumeric(group)) gid = Number(group);
  else {
    const entry = parseGroup(await read('/etc/group')).find((g) => g.name === group);
    if (!entry)
      throw new InvalidArgumentError(
        `unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`,
      );
    gid = entry.gid;
  }
  return { uid, gid };
}

/** Octal `--chmod` (Docker's classic builder accepts octal only). */
export function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text))
    throw new InvalidArgumentError(
      `invalid --chmod value ${JSON.stringify(text)}: use octal, like 0755`,
    );
  return parseInt(text, 8);
}

/** Creates `dir` (absolute in the image) and missing parents, as root or the --chown owner. */
async function mkdirInRoot(root: string, dir: string, owner?: Ownership): Promise<string> {
  const parts = posix.normalize(dir).split('/').filter(Boolean);
  let current = '/';
  for (const part of parts) {
    current = posix.join(current, part);
    const host = await resolveInRoot(root, current);
    const stat = await lstat(host).catch(() => undefined);
    if (stat?.isDirectory()) continue;
    if (stat)
      throw new InvalidArgumentError(`cannot create directory ${current}: a file is in the way`);
    await mkdir(host, { mode: 0o755 });
    if (owner) await lchown(host, owner.uid, owner.gid);
  }
  return resolveInRoot(root, dir);
}

async function copyEntry(
  from: string,
  to: string,
  options: Pick<CopyOptions, 'owner' | 'mode'>,
  keepOwner: boolean,
): Promise<void> {
  const stat = await lstat(from);
  const existing = await lstat(to).catch(() => undefined);
  if (stat.isDirectory()) {
    if (existing && !existing.isDirectory()) await rm(to, { force: true });
    if (!existing?.isDirectory()) await mkdir(to);
  } else {
    if (existing) await rm(to, { recursive: true, force: true });
    if (stat.isSymbolicLink()) await symlink(await readlink(from), to);
    else if (stat.isFile()) await copyFile(from, to);
    else return; // devices, fifos and sockets are not copied
  }
  const uid = options.owner?.uid ?? (keepOwner ? stat.uid : 0);
  const gid = options.owner?.gid ?? (keepOwner ? stat.gid : 0);
  await lchown(to, uid, gid);
  if (stat.isSymbolicLink()) {
    await lutimes(to, stat.atime, stat.mtime);
    return;
  }
  await chmod(to, options.mode ?? stat.mode & 0o7777);
  await utimes(to, stat.atime, stat.mtime);
}

/** Copies a folder's content below `destDir` (an absolute image path that exists). */
async function copyTreeInto(
  root: string,
  sourceRoot: SourceRoot,
  source: CopySource,
  destDir: string,
  options: CopyOptions,
  keepOwner: boolean,
): Promise<void> {
  for (const relative of await treeOf(sourceRoot, source)) {
    const to = await hostPathFor(root, posix.join(destDir, relative));
    await copyEntry(join(source.hostPath, relative), to, options, keepOwner);
  }
  // Folder times last: writing their content changed them.
  const dirs = (await treeOf(sourceRoot, source)).reverse();
  for (const relative of dirs) {
    const from = join(source.hostPath, relative);
    const stat = await lstat(from);
    if (stat.isDirectory())
      await utimes(await hostPathFor(root, posix.join(destDir, relative)), stat.atime, stat.mtime);
  }
}

async function archiveKind(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    const magic = head.subarray(0, bytesRead);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return true; // gzip
    if (magic.subarray(0, 3).toString('latin1') === 'BZh') return true;
    if (magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
    return bytesRead >= 262 && magic.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await handle.close();
  }
}

/** Unpacks an archive with GNU tar into a private folder (it refuses `..` and absolute names). */
function untar(archive: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-C', dir, '--no-same-owner', '-f', archive], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new InvalidArgumentError(`ADD failed: cannot unpack archive: ${stderr.trim()}`));
    });
  });
}

/** Copies every source into the mounted root at `root`. */
export async function copyInto(
  root: string,
  sourceRoot: SourceRoot,
  sources: readonly CopySource[],
  options: CopyOptions,
): Promise<void> {
  const many = sources.length > 1;
  if (many && !options.destIsDir) {
    throw new CopySourceError(
      `When using ${options.keyword} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
  const destHost = await resolveInRoot(root, options.dest);
  const destStat = await lstat(destHost).catch(() => undefined);
  for (const source of sources) {
    if (source.stat.isDirectory()) {
      await mkdirInRoot(root, options.dest, options.owner);
      await copyTreeInto(root, sourceRoot, source, options.dest, options, false);
      continue;
    }
    if (options.extractArchives && source.stat.isFile() && (await archiveKind(source.hostPath))) {
      await mkdir(options.scratchDir, { recursive: true });
      const scratch = join(options.scratchDir, `x-${Math.random().toString(36).slice(2)}`);
      await mkdir(scratch);
      try {
        await untar(source.hostPath, scratch);
        await mkdirInRoot(root, options.dest, options.owner);
        const unpacked: CopySource = {
          relative: '',
          hostPath: scratch,
          stat: await lstat(scratch),
        };
        await copyTreeInto(root, { dir: scratch }, unpacked, options.dest, options, true);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
      continue;
    }
    const intoDir = options.destIsDir || many || destStat?.isDirectory() === true;
    const target = intoDir
      ? posix.join(options.dest, posix.basename(source.relative || source.hostPath))
      : options.dest;
    await mkdirInRoot(root, posix.dirname(target), options.owner);
    await copyEntry(source.hostPath, await hostPathFor(root, target), options, false);
  }
}
