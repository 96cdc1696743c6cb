// Just enough of RFC 1035 for the embedded resolver: decode a query's header and questions, and
// encode answers (A, AAAA and PTR) or an error code. Everything else is forwarded byte for byte.
import { formatIpv6, parseIpv6 } from './ipv6';

export const RecordType = { A: 1, PTR: 12, AAAA: 28 } as const;
export const ResponseCode = {
  noError: 0,
  formatError: 1,
  serverFailure: 2,
  nameError: 3,
  refused: 5,
} as const;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  flags: number;
  questions: DnsQuestion[];
}

export type DnsAnswer =
  | { name: string; type: typeof RecordType.A; ttl: number; address: string }
  | { name: string; type: typeof RecordType.AAAA; ttl: number; address: string }
  | { name: string; type: typeof RecordType.PTR; ttl: number; target: string };

export class DnsFormatError extends Error {}

function readName(packet: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  for (let jumps = 0; ;) {
    if (offset >= packet.length) throw new DnsFormatError('name runs past the end of the packet');
    const length = packet[offset] as number;
    if (length === 0) {
      offset += 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (offset + 1 >= packet.length) throw new DnsFormatError('truncated compression pointer');
      if (++jumps > 16) throw new DnsFormatError('compression pointer loop');
      if (next < 0) next = offset + 2;
      offset = ((length & 0x3f) << 8) | (packet[offset + 1] as number);
      continue;
    }
    if (length > 63) throw new DnsFormatError(`label length ${length} is over 63`);
    if (offset + 1 + length > packet.length) throw new DnsFormatError('label runs past the end');
    labels.push(packet.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return { name: labels.join('.'), next: next >= 0 ? next : offset };
}

export function decodeQuery(packet: Buffer): DnsQuery {
  if (packet.length < 12) throw new DnsFormatError('packet shorter than a DNS header');
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  const count = packet.readUInt16BE(4);
  const questions: DnsQuestion[] = [];
  let offset = 12;
  for (let i = 0; i < count; i++) {
    const { name, next } = readName(packet, offset);
    if (next + 4 > packet.length) throw new DnsFormatError('question runs past the end');
    questions.push({ name, type: packet.readUInt16BE(next), class: packet.readUInt16BE(next + 2) });
    offset = next + 4;
  }
  return { id, flags, questions };
}

function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length > 63) throw new DnsFormatError(`label ${label} is over 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function encodeQuestion(question: DnsQuestion): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(question.type, 0);
  tail.writeUInt16BE(question.class, 2);
  return Buffer.concat([encodeName(question.name), tail]);
}

function ipv6Bytes(address: string): Buffer {
  const value = parseIpv6(address);
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number((value >> BigInt(120 - 8 * i)) & 0xffn);
  return bytes;
}

function encodeAnswer(answer: DnsAnswer): Buffer {
  let rdata: Buffer;
  if (answer.type === RecordType.A) rdata = Buffer.from(answer.address.split('.').map(Number));
  else if (answer.type === RecordType.AAAA) rdata = ipv6Bytes(answer.address);
  else rdata = encodeName(answer.target);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(answer.type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(answer.ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(answer.name), fixed, rdata]);
}

/** A response echoing the query's id, questions and RD bit, flagged authoritative and RA. */
export function encodeResponse(
  query: DnsQuery,
  rcode: number,
  answers: readonly DnsAnswer[],
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  const recursionDesired = query.flags & 0x0100;
  const opcode = query.flags & 0x7800;
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | recursionDesired | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(query.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([
    header,
    ...query.questions.map(encodeQuestion),
    ...answers.map(encodeAnswer),
  ]);
}

/** A query packet, for tests and for probing. */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, encodeQuestion({ name, type, class: 1 })]);
}

/** A response's rcode and A/AAAA-record addresses, for tests. */
export function decodeAddresses(packet: Buffer): { rcode: number; addresses: string[] } {
  const query = decodeQuery(packet);
  let offset = 12;
  for (let i = 0; i < query.questions.length; i++) offset = readName(packet, offset).next + 4;
  const addresses: string[] = [];
  const answers = packet.readUInt16BE(6);
  for (let i = 0; i < answers; i++) {
    const { next } = readName(packet, offset);
    const type = packet.readUInt16BE(next);
    const length = packet.readUInt16BE(next + 8);
    if (type === RecordType.A && length === 4) {
      addresses.push([...packet.subarray(next + 10, next + 14)].join('.'));
    }
    if (type === RecordType.AAAA && length === 16) {
      const bytes = packet.subarray(next + 10, next + 26);
      addresses.push(formatIpv6(bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)));
    }
    offset = next + 10 + length;
  }
  return { rcode: query.flags & 0xf, addresses };
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; undefined for anything else. */
export function reverseNameToAddress(name: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(name);
  if (!match) return undefined;
  return [match[4], match[3], match[2], match[1]].join('.');
}
