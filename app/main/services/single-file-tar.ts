// The two tar shapes the container file browser needs: build an archive holding one file (for
// PUT /containers/{id}/archive) and take the one file out of the archive GET returns.
import { ServiceError } from '../../shared/errors';

const block = 512;

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** One ustar entry (header, content, padding); `type` is the tar type flag ('0' file, '5' dir). */
export function tarEntry(
  name: string,
  content: Buffer,
  options: { type?: '0' | '2' | '5'; mode?: number; mtime?: number; linkTarget?: string } = {},
): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) {
    throw new ServiceError('invalid_argument', `file name "${name}" is longer than 100 bytes`);
  }
  const header = Buffer.alloc(block);
  nameBytes.copy(header, 0);
  writeOctal(header, 100, 8, options.mode ?? 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, content.length);
  writeOctal(header, 136, 12, Math.floor(options.mtime ?? 0));
  header.write(options.type ?? '0', 156, 1, 'ascii');
  if (options.linkTarget) header.write(options.linkTarget, 157, 100, 'utf8');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  // The checksum is computed with its own field read as spaces.
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const padding = Buffer.alloc((block - (content.length % block)) % block);
  return Buffer.concat([header, content, padding]);
}

/** Two zero blocks: the end of an archive. */
export const tarEnd = Buffer.alloc(block * 2);

/** A ustar archive with one regular file (name ≤ 100 bytes, as the file browser validates). */
export function singleFileTar(name: string, content: Buffer, mode = 0o644, mtime = 0): Buffer {
  return Buffer.concat([tarEntry(name, content, { mode, mtime }), tarEnd]);
}

function octalField(header: Buffer, offset: number, length: number): number {
  const raw = header.subarray(offset, offset + length).toString('ascii');
  const text = raw.replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

/**
 * The first regular file of an archive, skipping PAX / GNU long-name records. Throws when the
 * archive holds a directory or link first (the path was not a regular file).
 */
export function extractFirstFile(archive: Buffer): { name: string; content: Buffer } {
  let offset = 0;
  let longName: string | undefined;
  while (offset + block <= archive.length) {
    const header = archive.subarray(offset, offset + block);
    if (header.every((byte) => byte === 0)) break;
    const size = octalField(header, 124, 12);
    const flag = String.fromCharCode(header[156] ?? 0x30);
    const dataStart = offset + block;
    const next = dataStart + Math.ceil(size / block) * block;
    const rawName = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (flag === 'L') {
      longName = archive
        .subarray(dataStart, dataStart + size)
        .toString('utf8')
        .replace(/\0+$/, '');
    } else if (flag === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)/.exec(
        archive.subarray(dataStart, dataStart + size).toString('utf8'),
      );
      if (path) longName = path[1];
    } else if (flag === 'g') {
      // Global PAX header: nothing the browser needs.
    } else if (flag === '0' || flag === '\0' || flag === '7') {
      if (dataStart + size > archive.length) {
        throw new ServiceError('internal', 'the engine sent a truncated archive');
      }
      const name = (longName ?? rawName).split('/').filter(Boolean).pop() ?? rawName;
      return { name, content: Buffer.from(archive.subarray(dataStart, dataStart + size)) };
    } else {
      const kind = flag === '5' ? 'a directory' : flag === '2' ? 'a symbolic link' : 'not a file';
      throw new ServiceError('invalid_argument', `${longName ?? rawName} is ${kind}`);
    }
    offset = next;
  }
  throw new ServiceError('not_found', 'the archive holds no file');
}
