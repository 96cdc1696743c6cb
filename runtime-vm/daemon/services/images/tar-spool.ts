// Reads an archive (docker save output) into a private directory: regular files only, symlinks
// remembered as archive-internal aliases, every path validated. Layers are then read from there.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import { safeComponents } from '../../drivers/snapshots/layer-rewrite';
import {
  blockSize,
  isZeroBlock,
  paddingFor,
  parseHeader,
  parsePax,
} from '../../drivers/snapshots/tar-format';

export interface SpooledArchive {
  /** Archive path → file on disk (symlinks resolved). */
  files: Map<string, string>;
}

/** Pulls exact byte counts out of a chunk stream. */
class ByteReader {
  private buffered: Buffer[] = [];
  private size = 0;
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.size < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else {
        this.buffered.push(next.value);
        this.size += next.value.length;
      }
    }
    return this.size >= n;
  }

  async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const all = Buffer.concat(this.buffered);
    this.buffered = [all.subarray(n)];
    this.size -= n;
    return all.subarray(0, n);
  }

  /** Up to `max` bytes (at least 1) or undefined at the end. */
  async chunk(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill(1))) return undefined;
    const first =
      this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    const out = first.subarray(0, Math.min(max, first.length));
    this.buffered = [first.subarray(out.length)];
    this.size -= out.length;
    return out;
  }
}

async function writeFileFrom(reader: ByteReader, path: string, size: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  let left = size;
  try {
    while (left > 0) {
      const chunk = await reader.chunk(Math.min(left, 1024 * 1024));
      if (!chunk) throw new InvalidArgumentError('truncated archive: it ends inside a file');
      left -= chunk.length;
      if (!out.write(chunk))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

export async function spoolArchive(
  source: AsyncIterable<Buffer>,
  dir: string,
): Promise<SpooledArchive> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let index = 0;
  for (;;) {
    const block = await reader.read(blockSize);
    if (!block || isZeroBlock(block)) break;
    const header = parseHeader(block);
    const padded = header.size + paddingFor(header.size);
    if (header.type === 'x' || header.type === 'g' || header.type === 'L') {
      const data = await reader.read(padded);
      if (!data) throw new InvalidArgumentError('truncated archive');
      if (header.type === 'x') pax = parsePax(data.subarray(0, header.size));
      if (header.type === 'L')
        longName = data.subarray(0, header.size).toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const name = pax.get('path')?.toString('utf8') ?? longName ?? header.name;
    const linkname = pax.get('linkpath')?.toString('utf8') ?? header.linkname;
    const size = pax.has('size') ? Number(pax.get('size')?.toString()) : header.size;
    pax = new Map();
    longName = undefined;
    const path = safeComponents(name, 'archive path').join('/');
    if (header.type === '0' || header.type === '\0' || header.type === '7') {
      const target = join(dir, `f${index++}`);
      await writeFileFrom(reader, target, size);
      const pad = paddingFor(size);
      if (pad > 0 && !(await reader.read(pad))) throw new InvalidArgumentError('truncated archive');
      files.set(path, target);
    } else if (header.type === '2' || header.type === '1') {
      // Legacy docker save links duplicate layers to one layer.tar, relative to the link's folder.
      const base = header.type === '2' ? path.split('/').slice(0, -1) : [];
      const resolved: string[] = [...base];
      for (const part of linkname.split('/')) {
        if (part === '..') resolved.pop();
        else if (part !== '.' && part !== '') resolved.push(part);
      }
      links.set(path, resolved.join('/'));
    } else if (header.type !== '5') {
      if (padded > 0 && !(await reader.read(padded)))
        throw new InvalidArgumentError('truncated archive');
    }
  }
  for (const [path, target] of links) {
    const file = files.get(target);
    if (file) files.set(path, file);
  }
  return { files };
}
