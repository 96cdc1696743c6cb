// Writes validated layer entries straight to the layer directory with fs calls: directories,
// regular files, symlinks and hardlinks (the bulk of every layer, and all of its bytes). What
// Node cannot create, whiteout device nodes and xattrs (opaque dirs, file capabilities), is
// collected as a small tar that GNU tar extracts afterwards. Entries arrive validated by
// LayerTarRewriter: no `..`, no absolute paths, nothing under a symlink of this layer, and the
// directory starts empty, so no path component can lead outside it.
// Metadata calls (mkdir, symlink, chown...) are synchronous: each takes microseconds, while a
// thread-pool round trip per call cost more than the call itself (a base layer has hundreds of
// symlinks). Small writes are synchronous too; large ones go to the thread pool.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  utimesSync,
  write,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SystemError } from '../../errors';
import type { EntrySink } from './layer-rewrite';
import { encodeHeader, paddingFor, type TarHeader, zeroBlock } from './tar-format';

const createFlags =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes at most this big happen inline; bigger ones would hold the event loop too long. */
const inlineWriteBytes = 64 * 1024;

function writeAll(fd: number, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (offset: number) =>
      write(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < chunk.length) next(offset + written);
        else resolve();
      });
    next(0);
  });
}

function writeAllSync(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

interface SpecialEntry {
  path: string;
  parts: Buffer[];
  dropped: boolean;
}

export class DirectExtractSink implements EntrySink {
  private queue: Array<() => void | Promise<void>> = [];
  private readonly knownDirs = new Set<string>(['']);
  private readonly dirMeta = new Map<string, TarHeader>();
  /** Regular files this sink wrote (valid targets for fs hardlinks). */
  private readonly writtenFiles = new Set<string>();
  private readonly specials: SpecialEntry[] = [];
  private readonly specialByPath = new Map<string, SpecialEntry>();
  private currentSpecial: SpecialEntry | undefined;
  /** The regular file being written, as a descriptor. */
  private file: number | undefined;

  constructor(private readonly root: string) {}

  private abs(path: string): string {
    return path === '' ? this.root : join(this.root, path);
  }

  private static pathOf(header: TarHeader): string {
    return header.name === './' ? '' : header.name.replace(/\/$/, '');
  }

  entry(header: TarHeader, xattrs: ReadonlyMap<string, Buffer> | undefined): void {
    const path = DirectExtractSink.pathOf(header);
    const needsTar =
      (xattrs !== undefined && xattrs.size > 0) ||
      header.type === '3' ||
      header.type === '6' ||
      (header.type === '1' && !this.writtenFiles.has(header.linkname));
    // A later entry for the same path replaces an earlier one, whichever phase it was in.
    const earlier = this.specialByPath.get(path);
    if (earlier) earlier.dropped = true;
    this.writtenFiles.delete(path);
    if (needsTar) {
      const special: SpecialEntry = { path, parts: [encodeHeader(header, xattrs)], dropped: false };
      this.specials.push(special);
      this.specialByPath.set(path, special);
      this.currentSpecial = special;
      if (header.type !== '5') this.queue.push(() => this.removeExisting(path));
      else this.dirMeta.delete(path);
      return;
    }
    this.specialByPath.delete(path);
    this.currentSpecial = undefined;
    switch (header.type) {
      case '5':
        this.queue.push(() => this.makeDir(path));
        this.dirMeta.set(path, header);
        break;
      case '0':
        this.writtenFiles.add(path);
        this.queue.push(() => this.openFile(path));
        break;
      case '2':
        this.queue.push(() => this.makeSymlink(path, header));
        break;
      case '1':
        this.writtenFiles.add(path);
        this.queue.push(() => this.makeHardlink(path, header.linkname));
        break;
      default:
        throw new SystemError(`unexpected entry type '${header.type}' after validation`);
    }
  }

  data(chunk: Buffer): void {
    if (this.currentSpecial) {
      // Kept until GNU tar runs, long after the chunk's memory was reused: a copy.
      this.currentSpecial.parts.push(Buffer.from(chunk));
      return;
    }
    this.queue.push(() => {
      const fd = this.file as number;
      if (chunk.length <= inlineWriteBytes) writeAllSync(fd, chunk);
      else return writeAll(fd, chunk);
    });
  }

  entryEnd(header: TarHeader): void {
    if (this.currentSpecial) {
      const padding = paddingFor(header.size);
      if (padding > 0) this.currentSpecial.parts.push(Buffer.alloc(padding));
      this.currentSpecial = undefined;
      return;
    }
    if (header.type === '0') this.queue.push(() => this.closeFile(header));
  }

  finish(): void {
    // Nothing to flush: the caller runs complete() once the whole stream was consumed.
  }

  async settle(): Promise<void> {
    const work = this.queue;
    this.queue = [];
    for (const step of work) {
      const pending = step();
      if (pending) await pending;
    }
  }

  /** Second and third phase: GNU tar for the special entries, then directory metadata. */
  async complete(signal?: AbortSignal): Promise<void> {
    await this.settle();
    const specials = this.specials.filter((s) => !s.dropped);
    if (specials.length > 0) await this.extractSpecials(specials, signal);
    // Deepest first; owner before mode (chown clears set-id bits), times last.
    const dirs = [...this.dirMeta.entries()].sort(([a], [b]) => b.length - a.length);
    for (const [path, header] of dirs) {
      const target = this.abs(path);
      chownSync(target, header.uid, header.gid);
      chmodSync(target, header.mode & 0o7777);
      utimesSync(target, header.mtime, header.mtime);
    }
  }

  /** Aborted or failed extraction: release the open file, if any. */
  async dispose(): Promise<void> {
    this.queue = [];
    if (this.file !== undefined) {
      try {
        closeSync(this.file);
      } catch {
        // already failed: the directory is discarded
      }
    }
    this.file = undefined;
  }

  private ensureParent(path: string): void {
    const parent = dirname(path) === '.' ? '' : dirname(path);
    if (this.knownDirs.has(parent)) return;
    mkdirSync(this.abs(parent), { recursive: true, mode: 0o755 });
    for (let p = parent; p !== '' && p !== '.'; p = dirname(p) === '.' ? '' : dirname(p)) {
      this.knownDirs.add(p);
    }
  }

  private removeExisting(path: string): void {
    if (path === '') return;
    this.knownDirs.delete(path);
    rmSync(this.abs(path), { recursive: true, force: true });
  }

  private makeDir(path: string): void {
    if (this.knownDirs.has(path)) return;
    this.ensureParent(path);
    try {
      mkdirSync(this.abs(path), { mode: 0o755 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lstatSync(this.abs(path)).isDirectory()) {
        rmSync(this.abs(path), { force: true });
        mkdirSync(this.abs(path), { mode: 0o755 });
      }
    }
    this.knownDirs.add(path);
  }

  /** Creates a fresh inode at `path`, replacing whatever an earlier entry put there. */
  private create<T>(path: string, make: () => T): T {
    this.ensureParent(path);
    try {
      return make();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.removeExisting(path);
      return make();
    }
  }

  private openFile(path: string): void {
    this.file = this.create(path, () => openSync(this.abs(path), createFlags, 0o600));
  }

  private closeFile(header: TarHeader): void {
    const fd = this.file;
    if (fd === undefined) return;
    this.file = undefined;
    try {
      fchownSync(fd, header.uid, header.gid);
      fchmodSync(fd, header.mode & 0o7777);
      futimesSync(fd, header.mtime, header.mtime);
    } finally {
      closeSync(fd);
    }
  }

  private makeSymlink(path: string, header: TarHeader): void {
    this.create(path, () => symlinkSync(header.linkname, this.abs(path)));
    lchownSync(this.abs(path), header.uid, header.gid);
    lutimesSync(this.abs(path), header.mtime, header.mtime);
  }

  private makeHardlink(path: string, target: string): void {
    this.create(path, () => linkSync(this.abs(target), this.abs(path)));
  }

  private extractSpecials(specials: SpecialEntry[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const tar = spawn(
        'tar',
        [
          '--extract',
          '--file=-',
          `--directory=${this.root}`,
          '--numeric-owner',
          '--same-owner',
          '--same-permissions',
          '--xattrs',
          '--xattrs-include=trusted.overlay.*',
          '--xattrs-include=security.capability',
          '--xattrs-include=user.*',
          '--warning=no-timestamp',
          '--warning=no-unknown-keyword',
        ],
        { stdio: ['pipe', 'ignore', 'pipe'], signal },
      );
      const stderr: Buffer[] = [];
      tar.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      tar.once('error', reject);
      tar.once('close', (code) => {
        if (code === 0) resolve();
        else {
          const detail = Buffer.concat(stderr).toString('utf8').trim();
          reject(new SystemError(`tar failed to extract layer: ${detail || `exit ${code}`}`));
        }
      });
      tar.stdin.on('error', () => undefined); // tar's exit status reports the real problem
      for (const special of specials) for (const part of special.parts) tar.stdin.write(part);
      tar.stdin.end(Buffer.concat([zeroBlock, zeroBlock]));
    });
  }
}
