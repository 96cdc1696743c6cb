// Just enough of the tar format (ustar + PAX + GNU long names) to validate and re-serialize image
// layers and to write `docker save` archives. No third-party parser: every byte tar sees is ours.
import { InvalidArgumentError } from '../../errors';

export const blockSize = 512;
export const zeroBlock = Buffer.alloc(blockSize);

export interface TarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker.
    if (first === 0xff) throw new InvalidArgumentError('negative numeric field in tar header');
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .replace(/^[\0 ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new InvalidArgumentError(`invalid numeric field in tar header: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

export function isZeroBlock(block: Buffer): boolean {
  return block.equals(zeroBlock);
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < blockSize; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  return sum;
}

/** Parses one 512-byte header block; throws on a bad checksum (garbage or a misaligned stream). */
export function parseHeader(block: Buffer): TarHeader {
  let stored: number;
  try {
    stored = readNumber(block, 148, 8);
  } catch {
    stored = -1;
  }
  if (stored !== checksum(block))
    throw new InvalidArgumentError(
      'invalid tar header checksum: not a tar archive or corrupted layer',
    );
  const magic = block.subarray(257, 263).toString('latin1');
  let name = readString(block, 0, 100);
  if (magic.startsWith('ustar')) {
    const prefix = readString(block, 345, 155);
    if (prefix !== '' && magic === 'ustar\0') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: readNumber(block, 100, 8),
    uid: readNumber(block, 108, 8),
    gid: readNumber(block, 116, 8),
    size: readNumber(block, 124, 12),
    mtime: readNumber(block, 136, 12),
    type: String.fromCharCode(block[156] ?? 0),
    linkname: readString(block, 157, 100),
    uname: readString(block, 265, 32),
    gname: readString(block, 297, 32),
    devmajor: readNumber(block, 329, 8),
    devminor: readNumber(block, 337, 8),
  };
}

/** Parses PAX extended-header records ("len key=value\n"); values stay bytes (xattrs are binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(data.subarray(offset, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length) {
      throw new InvalidArgumentError('malformed PAX header in layer');
    }
    const record = data.subarray(space + 1, offset + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new InvalidArgumentError('malformed PAX record in layer');
    records.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    offset += length;
  }
  return records;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length)
    length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'latin1'), body]);
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1');
}

const maxOctal11 = 0o77777777777;
const maxOctal7 = 0o7777777;

export function paddingFor(size: number): number {
  return (blockSize - (size % blockSize)) % blockSize;
}

/**
 * Serializes a header; anything that does not fit ustar (long names, big sizes, xattrs) goes
 * into a PAX header before it. Returns the bytes to emit before the entry's data.
 */
export function encodeHeader(header: TarHeader, xattrs?: ReadonlyMap<string, Buffer>): Buffer {
  const pax: Buffer[] = [];
  const nameBytes = Buffer.byteLength(header.name);
  if (nameBytes > 100) pax.push(paxRecord('path', Buffer.from(header.name)));
  if (Buffer.byteLength(header.linkname) > 100)
    pax.push(paxRecord('linkpath', Buffer.from(header.linkname)));
  if (header.size > maxOctal11) pax.push(paxRecord('size', Buffer.from(String(header.size))));
  if (header.uid > maxOctal7) pax.push(paxRecord('uid', Buffer.from(String(header.uid))));
  if (header.gid > maxOctal7) pax.push(paxRecord('gid', Buffer.from(String(header.gid))));
  for (const [key, value] of xattrs ?? []) pax.push(paxRecord(`SCHILY.xattr.${key}`, value));

  const block = Buffer.alloc(blockSize);
  writeString(block, 0, 100, nameBytes > 100 ? header.name.slice(0, 99) : header.name);
  writeOctal(block, 100, 8, header.mode & 0o7777);
  writeOctal(block, 108, 8, header.uid > maxOctal7 ? 0 : header.uid);
  writeOctal(block, 116, 8, header.gid > maxOctal7 ? 0 : header.gid);
  writeOctal(block, 124, 12, header.size > maxOctal11 ? 0 : header.size);
  writeOctal(block, 136, 12, Math.max(0, Math.min(Math.floor(header.mtime), maxOctal11)));
  block.write(header.type, 156, 1, 'latin1');
  writeString(block, 157, 100, header.linkname.slice(0, 100));
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeString(block, 265, 32, header.uname.slice(0, 31));
  writeString(block, 297, 32, header.gname.slice(0, 31));
  writeOctal(block, 329, 8, header.devmajor);
  writeOctal(block, 337, 8, header.devminor);
  block.write('        ', 148, 8, 'latin1');
  writeOctal(block, 148, 7, checksum(block));
  block[155] = 0x20;

  if (pax.length === 0) return block;
  const paxData = Buffer.concat(pax);
  const paxHeader = encodeHeader({
    name: 'PaxHeaders/' + header.name.slice(0, 80).replace(/[^\x20-\x7e]/g, '_'),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: paxData.length,
    mtime: header.mtime,
    type: 'x',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHeader, paxData, Buffer.alloc(paddingFor(paxData.length)), block]);
}

export function fileHeader(name: string, size: number, mtime = 0): TarHeader {
  return {
    name,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime,
    type: '0',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  };
}
