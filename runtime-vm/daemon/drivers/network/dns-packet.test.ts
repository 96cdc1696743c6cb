import { describe, expect, it } from 'vitest';
import {
  decodeAddresses,
  decodeQuery,
  DnsFormatError,
  encodeQuery,
  encodeResponse,
  RecordType,
  ResponseCode,
  reverseNameToAddress,
} from './dns-packet';

describe('dns packets', () => {
  it('round-trips a query', () => {
    const query = decodeQuery(encodeQuery(0x1234, 'web.example', RecordType.A));
    expect(query).toEqual({
      id: 0x1234,
      flags: 0x0100,
      questions: [{ name: 'web.example', type: 1, class: 1 }],
    });
  });

  it('encodes A answers that a decoder reads back, echoing id and RD', () => {
    const query = decodeQuery(encodeQuery(7, 'db', RecordType.A));
    const reply = encodeResponse(query, ResponseCode.noError, [
      { name: 'db', type: RecordType.A, ttl: 600, address: '10.0.0.2' },
      { name: 'db', type: RecordType.A, ttl: 600, address: '10.0.0.3' },
    ]);
    expect(reply.readUInt16BE(0)).toBe(7);
    expect(reply.readUInt16BE(2) & 0x8100).toBe(0x8100);
    expect(decodeAddresses(reply)).toEqual({ rcode: 0, addresses: ['10.0.0.2', '10.0.0.3'] });
  });

  it('encodes error codes and PTR answers', () => {
    const query = decodeQuery(encodeQuery(9, '2.0.0.10.in-addr.arpa', RecordType.PTR));
    expect(decodeAddresses(encodeResponse(query, ResponseCode.nameError, [])).rcode).toBe(3);
    const ptr = encodeResponse(query, 0, [
      { name: query.questions[0]!.name, type: RecordType.PTR, ttl: 1, target: 'db.net' },
    ]);
    expect(ptr.includes(Buffer.from([2, 0x64, 0x62, 3, 0x6e, 0x65, 0x74, 0]))).toBe(true);
  });

  it('follows compression pointers and rejects garbage', () => {
    // Header + question "a.b" + a second question pointing at offset 12.
    const packet = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0]),
      Buffer.from([1, 0x61, 1, 0x62, 0, 0, 1, 0, 1]),
      Buffer.from([0xc0, 12, 0, 28, 0, 1]),
    ]);
    expect(decodeQuery(packet).questions.map((q) => [q.name, q.type])).toEqual([
      ['a.b', 1],
      ['a.b', 28],
    ]);
    expect(() => decodeQuery(Buffer.from([1, 2, 3]))).toThrow(DnsFormatError);
    const loop = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0xc0, 12]),
    ]);
    expect(() => decodeQuery(loop)).toThrow('compression pointer loop');
  });

  it('maps reverse names to addresses', () => {
    expect(reverseNameToAddress('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseNameToAddress('example.com')).toBeUndefined();
  });
});
