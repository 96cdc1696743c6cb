// Writes validated layer entries straight to the layer directory with fs calls: directories,
// regular files, symlinks and hardlinks (the bulk of every layer, and all of its bytes). What
// Node cannot create, whiteout device nodes and xattrs (opaque dirs, file capabilities), is
// collected as a small tar that GNU tar extracts afterwards. Entries arrive validated by
// LayerTarRewriter: no `..`, no absolute paths, nothing under a symlink of this layer, and the
// directory starts empty, so no path component can lead outside it.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import {
  chmod,
  chown,
  link,
  lchown,
  lstat,
  lutimes,
  mkdir,
  open,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SystemError } from '../../errors';
import type { EntrySink } from './layer-rewrite';
import { encodeHeader, paddingFor, type TarHeader, zeroBlock } from './tar-format';

const createFlags =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

interface SpecialEntry {
  path: string;
  parts: Buffer[];
  dropped: boolean;
}

export class DirectExtractSink implements EntrySink {
  private queue: Array<() => Promise<void>> = [];
  private readonly knownDirs = new Set<string>(['']);
  private readonly dirMeta = new Map<string, TarHeader>();
  /** Regular files this sink wrote (valid targets for fs hardlinks). */
  private readonly writtenFiles = new Set<string>();
  private readonly specials: SpecialEntry[] = [];
  private readonly specialByPath = new Map<string, SpecialEntry>();
  private currentSpecial: SpecialEntry | undefined;
  private file: FileHandle | undefined;

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
      this.currentSpecial.parts.push(chunk);
      return;
    }
    this.queue.push(async () => {
      await (this.file as FileHandle).write(chunk);
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
    for (const step of work) await step();
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
      await chown(target, header.uid, header.gid);
      await chmod(target, header.mode & 0o7777);
      await utimes(target, header.mtime, header.mtime);
    }
  }

  /** Aborted or failed extraction: release the open file, if any. */
  async dispose(): Promise<void> {
    this.queue = [];
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
  }

  private async ensureParent(path: string): Promise<void> {
    const parent = dirname(path) === '.' ? '' : dirname(path);
    if (this.knownDirs.has(parent)) return;
    await mkdir(this.abs(parent), { recursive: true, mode: 0o755 });
    for (let p = parent; p !== '' && p !== '.'; p = dirname(p) === '.' ? '' : dirname(p)) {
      this.knownDirs.add(p);
    }
  }

  private async removeExisting(path: string): Promise<void> {
    if (path === '') return;
    this.knownDirs.delete(path);
    await rm(this.abs(path), { recursive: true, force: true });
  }

  private async makeDir(path: string): Promise<void> {
    if (this.knownDirs.has(path)) return;
    await this.ensureParent(path);
    try {
      await mkdir(this.abs(path), { mode: 0o755 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = await lstat(this.abs(path));
      if (!existing.isDirectory()) {
        await rm(this.abs(path), { force: true });
        await mkdir(this.abs(path), { mode: 0o755 });
      }
    }
    this.knownDirs.add(path);
  }

  /** Creates a fresh inode at `path`, replacing whatever an earlier entry put there. */
  private async create<T>(path: string, make: () => Promise<T>): Promise<T> {
    await this.ensureParent(path);
    try {
      return await make();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await this.removeExisting(path);
      return make();
    }
  }

  private async openFile(path: string): Promise<void> {
    this.file = await this.create(path, () => open(this.abs(path), createFlags, 0o600));
  }

  private async closeFile(header: TarHeader): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    try {
      await file.chown(header.uid, header.gid);
      await file.chmod(header.mode & 0o7777);
      await file.utimes(header.mtime, header.mtime);
    } finally {
      await file.close();
    }
  }

  private async makeSymlink(path: string, header: TarHeader): Promise<void> {
    await this.create(path, () => symlink(header.linkname, this.abs(path)));
    await lchown(this.abs(path), header.uid, header.gid);
    await lutimes(this.abs(path), header.mtime, header.mtime);
  }

  private async makeHardlink(path: string, target: string): Promise<void> {
    await this.create(path, () => link(this.abs(target), this.abs(path)));
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
