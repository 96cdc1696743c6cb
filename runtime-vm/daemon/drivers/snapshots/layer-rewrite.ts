// Validates an image layer tar entry by entry and re-serializes it for GNU tar, converting OCI
// whiteouts to what overlayfs understands:
//   `.wh.NAME`     → character device 0/0 at NAME
//   `.wh..wh..opq` → the parent directory again, with trusted.overlay.opaque=y
// Hostile entries (.., absolute paths, escaping or traversed symlinks, foreign hardlinks, device
// nodes) fail the stream before tar sees a single byte of them.
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '../../errors';
import {
  blockSize,
  encodeHeader,
  isZeroBlock,
  paddingFor,
  parseHeader,
  parsePax,
  type TarHeader,
  zeroBlock,
} from './tar-format';

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';
const maxMetaSize = 1024 * 1024;
/** Types GNU tar gets from us; everything else (devices, sparse, volume labels) is refused. */
const headerOnlyTypes = new Set(['1', '2', '3', '4', '5', '6']);

/** Xattrs an image may carry into the snapshot; trusted.* would let a layer forge overlay state. */
function keepXattr(name: string): boolean {
  return name === 'security.capability' || name.startsWith('user.');
}

export class HostileLayerError extends InvalidArgumentError {}

/** Splits an archive path into safe components, or throws naming the problem. */
export function safeComponents(raw: string, what: string): string[] {
  if (raw.includes('\0'))
    throw new HostileLayerError(`${what} ${JSON.stringify(raw)} contains NUL`);
  if (raw.startsWith('/'))
    throw new HostileLayerError(`${what} ${JSON.stringify(raw)} is absolute`);
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new HostileLayerError(`${what} ${JSON.stringify(raw)} contains '..'`);
    parts.push(part);
  }
  return parts;
}

interface DirMeta {
  header: TarHeader;
}

export interface RewriteStats {
  entries: number;
  whiteouts: number;
  /** Sum of regular file sizes: the layer's size on disk as Docker reports it. */
  contentBytes: number;
}

type State = 'header' | 'meta' | 'data' | 'end';

/**
 * Where validated entries go. Calls are synchronous and in archive order; `settle()` is awaited
 * after every input chunk, so a sink may queue asynchronous work and provide backpressure.
 */
export interface EntrySink {
  entry(header: TarHeader, xattrs: ReadonlyMap<string, Buffer> | undefined): void;
  /**
   * File content of the current entry (no tar padding). The chunk's memory may be reused once
   * the `settle()` that follows has resolved: a sink keeping it longer must copy it.
   */
  data(chunk: Buffer): void;
  entryEnd(header: TarHeader): void;
  finish(): void;
  settle(): Promise<void>;
}

/** Re-serializes entries as a tar stream on the rewriter's readable side. */
class TarStreamSink implements EntrySink {
  constructor(private readonly push: (chunk: Buffer) => void) {}
  entry(header: TarHeader, xattrs: ReadonlyMap<string, Buffer> | undefined): void {
    this.push(encodeHeader(header, xattrs));
  }
  data(chunk: Buffer): void {
    this.push(chunk);
  }
  entryEnd(header: TarHeader): void {
    const padding = paddingFor(header.size);
    if (padding > 0) this.push(Buffer.alloc(padding));
  }
  finish(): void {
    this.push(Buffer.concat([zeroBlock, zeroBlock]));
  }
  settle(): Promise<void> {
    return Promise.resolve();
  }
}

export class LayerTarRewriter extends Transform {
  readonly stats: RewriteStats = { entries: 0, whiteouts: 0, contentBytes: 0 };
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dataRemaining = 0;
  private payloadRemaining = 0;
  private passData = false;
  private currentEntry: TarHeader | undefined;
  private readonly sink: EntrySink;
  private metaType = '';
  private metaSize = 0;
  private pax = new Map<string, Buffer>();
  private longName: string | undefined;
  private longLink: string | undefined;
  /** Symlinks created by this layer: nothing may be written through them. */
  private readonly symlinks = new Set<string>();
  /** Regular files (and their hardlinks) created by this layer: valid hardlink targets. */
  private readonly files = new Set<string>();
  private readonly dirs = new Map<string, DirMeta>();

  /** Without a sink, the rewritten tar comes out of the readable side. */
  constructor(sink?: EntrySink) {
    super({ highWaterMark: 1024 * 1024 });
    this.sink = sink ?? new TarStreamSink((chunk) => this.push(chunk));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
    } catch (error) {
      done(error as Error);
      return;
    }
    this.sink.settle().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.state === 'data' || this.state === 'meta' || this.pendingBytes > 0) {
      done(new InvalidArgumentError('truncated layer: the archive ends inside an entry'));
      return;
    }
    this.sink.finish();
    this.sink.settle().then(() => done(), done);
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.state === 'end') return;
      if (this.state === 'data') {
        const n = Math.min(this.dataRemaining, chunk.length - offset);
        const payload = Math.min(n, this.payloadRemaining);
        if (this.passData && payload > 0) this.sink.data(chunk.subarray(offset, offset + payload));
        this.payloadRemaining -= payload;
        offset += n;
        this.dataRemaining -= n;
        if (this.dataRemaining === 0) {
          this.state = 'header';
          if (this.passData && this.currentEntry) this.sink.entryEnd(this.currentEntry);
          this.currentEntry = undefined;
        }
        continue;
      }
      const need = this.state === 'meta' ? this.metaSize + paddingFor(this.metaSize) : blockSize;
      const take = Math.min(need - this.pendingBytes, chunk.length - offset);
      if (this.pendingBytes === 0 && take === need) {
        this.handleBlock(chunk.subarray(offset, offset + need));
      } else {
        // A copy: the chunk's memory may be reused once this write returns (pulled layers).
        this.pending.push(Buffer.from(chunk.subarray(offset, offset + take)));
        this.pendingBytes += take;
        if (this.pendingBytes === need) {
          const block = Buffer.concat(this.pending);
          this.pending = [];
          this.pendingBytes = 0;
          this.handleBlock(block);
        }
      }
      offset += take;
    }
  }

  private handleBlock(block: Buffer): void {
    if (this.state === 'meta') {
      this.handleMeta(block.subarray(0, this.metaSize));
      this.state = 'header';
      return;
    }
    if (isZeroBlock(block)) {
      this.state = 'end';
      return;
    }
    const header = parseHeader(block);
    if (['x', 'g', 'L', 'K'].includes(header.type)) {
      if (header.size > maxMetaSize) throw new HostileLayerError('oversized tar metadata entry');
      this.metaType = header.type;
      this.metaSize = header.size;
      this.state = header.size === 0 ? 'header' : 'meta';
      return;
    }
    this.handleEntry(header);
  }

  private handleMeta(data: Buffer): void {
    switch (this.metaType) {
      case 'x':
        for (const [key, value] of parsePax(data)) this.pax.set(key, value);
        break;
      case 'L':
        this.longName = data.toString('utf8').replace(/\0+$/, '');
        break;
      case 'K':
        this.longLink = data.toString('utf8').replace(/\0+$/, '');
        break;
      default:
        // Global PAX headers are dropped, so neither we nor tar apply them.
        break;
    }
  }

  private takeEntryHeader(raw: TarHeader): { header: TarHeader; xattrs: Map<string, Buffer> } {
    const header = { ...raw };
    const xattrs = new Map<string, Buffer>();
    if (this.longName !== undefined) header.name = this.longName;
    if (this.longLink !== undefined) header.linkname = this.longLink;
    for (const [key, value] of this.pax) {
      const text = value.toString('utf8');
      if (key === 'path') header.name = text;
      else if (key === 'linkpath') header.linkname = text;
      else if (key === 'size') header.size = Number(text);
      else if (key === 'uid') header.uid = Number(text);
      else if (key === 'gid') header.gid = Number(text);
      else if (key === 'mtime') header.mtime = Math.floor(Number(text));
      else if (key === 'uname') header.uname = text;
      else if (key === 'gname') header.gname = text;
      else if (key.startsWith('SCHILY.xattr.')) {
        const name = key.slice('SCHILY.xattr.'.length);
        if (keepXattr(name)) xattrs.set(name, value);
      }
    }
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    for (const field of ['size', 'uid', 'gid', 'mtime'] as const) {
      if (!Number.isFinite(header[field]) || header[field] < 0) {
        throw new HostileLayerError(`invalid ${field} for ${JSON.stringify(header.name)}`);
      }
    }
    return { header, xattrs };
  }

  private assertNotThroughSymlink(parts: readonly string[], raw: string): void {
    for (let i = 1; i < parts.length; i++) {
      if (this.symlinks.has(parts.slice(0, i).join('/'))) {
        throw new HostileLayerError(`entry ${JSON.stringify(raw)} is written through a symlink`);
      }
    }
  }

  private emitEntry(header: TarHeader, xattrs?: ReadonlyMap<string, Buffer>): void {
    this.sink.entry(header, xattrs);
    if (header.size === 0) this.sink.entryEnd(header);
    this.stats.entries++;
  }

  private handleEntry(raw: TarHeader): void {
    const { header, xattrs } = this.takeEntryHeader(raw);
    let type = header.type === '\0' || header.type === '7' ? '0' : header.type;
    if (type !== '0' && !headerOnlyTypes.has(type)) {
      throw new HostileLayerError(
        `unsupported tar entry type '${type}' for ${JSON.stringify(header.name)}`,
      );
    }
    if (type === '3' || type === '4') {
      throw new HostileLayerError(
        `device node ${JSON.stringify(header.name)} is not allowed in a layer`,
      );
    }
    const dataSize = headerOnlyTypes.has(type) ? 0 : header.size;
    const parts = safeComponents(header.name, 'path');
    this.assertNotThroughSymlink(parts, header.name);
    const base = parts[parts.length - 1] ?? '';
    const parentParts = parts.slice(0, -1);
    const path = parts.join('/');

    if (base.startsWith(whiteoutPrefix)) {
      this.skipData(dataSize);
      if (base === opaqueMarker) {
        const dirPath = parentParts.join('/');
        const known = this.dirs.get(dirPath)?.header;
        const dir: TarHeader = known
          ? { ...known, name: dirPath === '' ? './' : `${dirPath}/`, size: 0 }
          : {
              ...header,
              name: dirPath === '' ? './' : `${dirPath}/`,
              type: '5',
              mode: 0o755,
              size: 0,
              linkname: '',
            };
        this.emitEntry(dir, new Map([['trusted.overlay.opaque', Buffer.from('y')]]));
        this.stats.whiteouts++;
        return;
      }
      if (base.startsWith(whiteoutPrefix + whiteoutPrefix)) return; // aufs metadata, meaningless here
      const hidden = base.slice(whiteoutPrefix.length);
      if (hidden === '' || hidden === '.' || hidden === '..') {
        throw new HostileLayerError(`invalid whiteout ${JSON.stringify(header.name)}`);
      }
      const target = [...parentParts, hidden].join('/');
      this.symlinks.delete(target);
      this.emitEntry({
        ...header,
        name: target,
        type: '3',
        mode: 0,
        size: 0,
        linkname: '',
        devmajor: 0,
        devminor: 0,
      });
      this.stats.whiteouts++;
      return;
    }

    if (path === '') {
      // The layer root itself: only a directory makes sense there.
      if (type !== '5') throw new HostileLayerError(`root entry of type '${type}' is not allowed`);
      this.emitEntry({ ...header, name: './', size: 0, linkname: '' }, xattrs);
      return;
    }

    this.symlinks.delete(path);
    this.files.delete(path);
    if (type === '2') {
      if (header.linkname === '')
        throw new HostileLayerError(`symlink ${JSON.stringify(header.name)} has no target`);
      if (!header.linkname.startsWith('/')) {
        // Relative targets resolve from the link's directory and must stay inside the root;
        // absolute ones are resolved inside the container's root at run time.
        let depth = parentParts.length;
        for (const part of header.linkname.split('/')) {
          if (part === '..') depth--;
          else if (part !== '' && part !== '.') depth++;
          if (depth < 0)
            throw new HostileLayerError(`symlink ${JSON.stringify(header.name)} escapes the layer`);
        }
      }
      this.symlinks.add(path);
    } else if (type === '1') {
      const targetParts = safeComponents(header.linkname, 'hardlink target');
      const target = targetParts.join('/');
      if (!this.files.has(target)) {
        throw new HostileLayerError(
          `hardlink ${JSON.stringify(header.name)} points outside this layer (${JSON.stringify(header.linkname)})`,
        );
      }
      header.linkname = target;
      this.files.add(path);
    } else if (type === '0') {
      this.files.add(path);
      this.stats.contentBytes += dataSize;
    } else if (type === '5') {
      this.dirs.set(path, { header: { ...header, size: 0 } });
    } else {
      type = '6';
    }
    const final = { ...header, name: type === '5' ? `${path}/` : path, type, size: dataSize };
    this.emitEntry(final, xattrs);
    if (dataSize > 0) {
      this.state = 'data';
      this.passData = true;
      this.currentEntry = final;
      this.payloadRemaining = dataSize;
      this.dataRemaining = dataSize + paddingFor(dataSize);
    }
  }

  private skipData(size: number): void {
    if (size === 0) return;
    this.state = 'data';
    this.passData = false;
    this.payloadRemaining = 0;
    this.dataRemaining = size + paddingFor(size);
  }
}
