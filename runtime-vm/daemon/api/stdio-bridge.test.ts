import { describe, expect, it } from 'vitest';
import { DetachKeyScanner, parseDetachKeys } from './stdio-bridge';

describe('detach keys', () => {
  it("parses Docker's syntax and defaults to ctrl-p,ctrl-q", () => {
    expect([...parseDetachKeys('')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-a,x,ctrl-@')]).toEqual([1, 120, 0]);
    expect(() => parseDetachKeys('ctrl-ab')).toThrow("Unknown character: 'ctrl-ab'");
  });

  it('detaches on the sequence even across chunks, forwarding everything else', () => {
    const scanner = new DetachKeyScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(scanner.scan(Buffer.from('ls\n'))).toEqual({
      forward: Buffer.from('ls\n'),
      detach: false,
    });
    expect(scanner.scan(Buffer.from([0x61, 0x10]))).toEqual({
      forward: Buffer.from('a'),
      detach: false,
    });
    expect(scanner.scan(Buffer.from([0x11, 0x62]))).toEqual({
      forward: Buffer.alloc(0),
      detach: true,
    });
  });

  it('releases a held-back prefix that turned out not to be the sequence', () => {
    const scanner = new DetachKeyScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(scanner.scan(Buffer.from([0x10]))).toEqual({ forward: Buffer.alloc(0), detach: false });
    expect(scanner.scan(Buffer.from([0x10, 0x41]))).toEqual({
      forward: Buffer.from([0x10, 0x10, 0x41]),
      detach: false,
    });
  });
});
