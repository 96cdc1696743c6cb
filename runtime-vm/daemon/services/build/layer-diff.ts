// Turns an overlay upper dir (a build step's changes) into an image layer tar: overlay's whiteouts
// (0/0 character devices) become `.wh.NAME` files, opaque directories (trusted.overlay.opaque=y)
// get a `.wh..wh..opq` marker, hardlinks inside the upper dir stay hardlinks. Mount points the
// runtime creates for every container (/etc/hosts, /proc, ...) are not the step's changes.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SystemError } from '../../errors';
import {
  blockSize,
  encodeHeader,
  isZeroBlock,
  paddingFor,
  parseHeader,
  parsePax,
  zeroBlock,
  type TarHeader,
} from '../../drivers/snapshots/tar-format';

/** One entry of a layer, in archive order (parents before children). */
export interface DiffEntry {
  /** Path relative to the root, `/`-separated, no leading slash. */
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque' | 'fifo';
  /** Host path for content (files) or metadata. */
  source?: string;
  stat?: Stats;
  linkname?: string;
}

export interface DiffOptions {
  /** Absolute container paths that are runtime mount points, left out when they are empty. */
  mountPoints?: readonly string[];
  /** Lower layer dirs (bottom → top), to tell a copied-up directory from a changed one. */
  lowerDirs?: readonly string[];
}

const statOrUndefined = (path: string) => lstat(path).catch(() => undefined);

/** Walks the upper dir and lists what the layer must contain, sorted and parents first. */
export async function collectDiff(
  upperDir: string,
  options: DiffOptions = {},
): Promise<DiffEntry[]> {
  const mountPoints = new Set((options.mountPoints ?? []).map((p) => p.replace(/^\/+/, '')));
  const lowers = [...(options.lowerDirs ?? [])].reverse();
  const dirs: string[] = [];
  const raw: DiffEntry[] = [];
  const seenInodes = new Map<string, string>();

  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(upperDir, relative))).sort();
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(upperDir, path);
      const stat = await lstat(full);
      if (stat.isCharacterDevice() && stat.rdev === 0) {
        raw.push({ path, kind: 'whiteout' });
        continue;
      }
      if (stat.isDirectory()) {
        dirs.push(path);
        raw.push({ path, kind: 'dir', source: full, stat });
        await walk(path);
        continue;
      }
      if (mountPoints.has(path) && stat.isFile() && stat.size === 0) continue;
      if (stat.isSymbolicLink()) {
        raw.push({ path, kind: 'symlink', source: full, stat, linkname: await readlink(full) });
      } else if (stat.isFile()) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = stat.nlink > 1 ? seenInodes.get(key) : undefined;
        if (first !== undefined) raw.push({ path, kind: 'hardlink', stat, linkname: first });
        else {
          if (stat.nlink > 1) seenInodes.set(key, path);
          raw.push({ path, kind: 'file', source: full, stat });
        }
      } else if (stat.isFIFO()) {
        raw.push({ path, kind: 'fifo', source: full, stat });
      }
      // Sockets and device nodes are never part of an image layer.
    }
  };
  await walk('');

  const opaque = await opaqueDirectories(upperDir, dirs);
  // A directory stays when it is new, changed, opaque, or holds something that stays.
  const keep = new Set<string>();
  const keepWithParents = (path: string) => {
    for (
      let p = path;
      p !== '' && !keep.has(p);
      p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : ''
    )
      keep.add(p);
  };
  for (const entry of raw) {
    if (entry.kind !== 'dir') {
      keepWithParents(entry.path);
      continue;
    }
    if (opaque.has(entry.path)) {
      keepWithParents(entry.path);
      continue;
    }
    if (mountPoints.has(entry.path)) continue;
    const lower = await findInLowers(lowers, entry.path);
    const stat = entry.stat as Stats;
    if (
      !lower ||
      !lower.isDirectory() ||
      (lower.mode & 0o7777) !== (stat.mode & 0o7777) ||
      lower.uid !== stat.uid ||
      lower.gid !== stat.gid
    )
      keepWithParents(entry.path);
  }
  const out: DiffEntry[] = [];
  for (const entry of raw) {
    if (!keep.has(entry.path)) continue;
    out.push(entry);
    if (entry.kind === 'dir' && opaque.has(entry.path))
      out.push({ path: `${entry.path}/.wh..wh..opq`, kind: 'opaque' });
  }
  return out;
}

async function findInLowers(lowers: readonly string[], path: string): Promise<Stats | undefined> {
  for (const lower of lowers) {
    const stat = await statOrUndefined(join(lower, path));
    if (stat) return stat;
  }
  return undefined;
}

/**
 * Directories marked opaque by overlayfs. Node cannot read xattrs, so GNU tar reads them: it
 * archives just the directory entries (no content) with that one xattr, and we read PAX headers.
 */
export async function opaqueDirectories(
  root: string,
  dirs: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  if (dirs.length === 0) return found;
  const archive = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(
      'tar',
      [
        '--xattrs',
        '--xattrs-include=trusted.overlay.opaque',
        '--no-recursion',
        '--null',
        '-C',
        root,
        '-cf',
        '-',
        '-T',
        '-',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new SystemError(`reading overlay xattrs failed: ${stderr.trim() || code}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(dirs.map((d) => `./${d}\0`).join(''));
  });
  let offset = 0;
  let pending: Map<string, Buffer> | undefined;
  while (offset + blockSize <= archive.length) {
    const block = archive.subarray(offset, offset + blockSize);
    if (isZeroBlock(block)) break;
    const header = parseHeader(block);
    offset += blockSize;
    if (header.type === 'x') {
      pending = parsePax(archive.subarray(offset, offset + header.size));
    } else {
      const path = (pending?.get('path')?.toString('utf8') ?? header.name)
        .replace(/^\.\//, '')
        .replace(/\/$/, '');
      if (pending?.get('SCHILY.xattr.trusted.overlay.opaque')?.toString() === 'y') found.add(path);
      pending = undefined;
    }
    offset += header.size + paddingFor(header.size);
  }
  return found;
}

function headerFor(entry: DiffEntry): TarHeader {
  const stat = entry.stat;
  const base: TarHeader = {
    name: entry.path,
    mode: stat ? stat.mode & 0o7777 : 0o644,
    uid: stat?.uid ?? 0,
    gid: stat?.gid ?? 0,
    size: 0,
    mtime: stat ? Math.floor(stat.mtimeMs / 1000) : 0,
    type: '0',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  };
  switch (entry.kind) {
    case 'dir':
      return { ...base, name: `${entry.path}/`, type: '5' };
    case 'file':
      return { ...base, size: stat?.size ?? 0 };
    case 'symlink':
      return { ...base, type: '2', linkname: entry.linkname ?? '' };
    case 'hardlink':
      return { ...base, type: '1', linkname: entry.linkname ?? '' };
    case 'fifo':
      return { ...base, type: '6' };
    case 'whiteout': {
      const slash = entry.path.lastIndexOf('/');
      const name = `${entry.path.slice(0, slash + 1)}.wh.${entry.path.slice(slash + 1)}`;
      return { ...base, name, mode: 0o644, uid: 0, gid: 0 };
    }
    case 'opaque':
      return { ...base, mode: 0o644 };
  }
}

/** The layer tar for `entries`; file content is streamed from the host. */
export function diffTar(entries: readonly DiffEntry[]): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      const header = headerFor(entry);
      yield encodeHeader(header);
      if (entry.kind !== 'file' || header.size === 0) continue;
      let written = 0;
      for await (const chunk of createReadStream(entry.source as string)) {
        const buffer = chunk as Buffer;
        const take = Math.min(buffer.length, header.size - written);
        if (take > 0) yield take === buffer.length ? buffer : buffer.subarray(0, take);
        written += take;
      }
      // A file that shrank while we read it is padded: the header already promised its size.
      if (written < header.size) yield Buffer.alloc(header.size - written);
      const padding = paddingFor(header.size);
      if (padding > 0) yield Buffer.alloc(padding);
    }
    yield Buffer.concat([zeroBlock, zeroBlock]);
  }
  return Readable.from(generate(), { objectMode: false });
}
