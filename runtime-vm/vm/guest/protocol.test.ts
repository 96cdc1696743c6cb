import { describe, expect, it } from 'vitest';
import {
  LineSplitter,
  ProtocolError,
  decodeBerthdArgs,
  encodeBerthdArgs,
  parseGuestMessage,
  parseHostRequest,
} from './protocol';

describe('control channel protocol', () => {
  it('splits lines across chunks and keeps the unfinished tail', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(splitter.push(':2}\n\n')).toEqual(['{"b":2}']);
  });

  it('parses the messages each side sends and names what is wrong with the rest', () => {
    expect(parseGuestMessage('{"type":"berthd-ready","uptimeS":3.2,"pid":90}')).toEqual({
      type: 'berthd-ready',
      uptimeS: 3.2,
      pid: 90,
    });
    expect(parseHostRequest('{"type":"shutdown","id":4}')).toEqual({ type: 'shutdown', id: 4 });
    expect(() => parseGuestMessage('nope')).toThrow(ProtocolError);
    expect(() => parseGuestMessage('[1]')).toThrow(/expected an object/);
    expect(() => parseGuestMessage('{"type":"reboot"}')).toThrow(
      /unknown guest message type reboot/,
    );
    expect(() => parseHostRequest('{"type":"shutdown"}')).toThrow(/no numeric id/);
  });
});

describe('berthd flags on the kernel command line', () => {
  it('round-trips flags, spaces included, and refuses a newline', () => {
    const param = encodeBerthdArgs([
      '--insecure-registry',
      '10.0.2.2:5000',
      '--log-level=debug two',
    ]);
    expect(param).toMatch(/^berth\.berthd=[A-Za-z0-9+/=]+$/);
    expect(decodeBerthdArgs(`quiet ${param} panic=-1`)).toEqual([
      '--insecure-registry',
      '10.0.2.2:5000',
      '--log-level=debug two',
    ]);
    expect(decodeBerthdArgs('quiet panic=-1')).toEqual([]);
    expect(() => encodeBerthdArgs(['a\nb'])).toThrow(ProtocolError);
  });
});
