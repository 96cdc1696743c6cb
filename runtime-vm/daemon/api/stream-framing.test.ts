import { describe, expect, it } from 'vitest';
import { StreamType, encodeLogMessages, frame, parseFrames } from './stream-framing';

describe('stream framing', () => {
  it('writes the 8-byte header Docker clients demultiplex', () => {
    const framed = frame(StreamType.Stderr, Buffer.from('hi'));
    expect([...framed.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 2]);
    expect(framed.subarray(8).toString()).toBe('hi');
  });

  it('encodes a batch of log messages with prefixes and newlines', () => {
    const batch = encodeLogMessages(
      [
        {
          stream: StreamType.Stdout,
          prefix: '2026-01-01T00:00:00.000000000Z ',
          text: Buffer.from('a'),
          newline: true,
        },
        { stream: StreamType.Stderr, text: Buffer.from('partial'), newline: false },
      ],
      true,
    );
    const frames = [...parseFrames(batch)].map((f) => [f.stream, f.payload.toString()]);
    expect(frames).toEqual([
      [StreamType.Stdout, '2026-01-01T00:00:00.000000000Z a\n'],
      [StreamType.Stderr, 'partial'],
    ]);
  });

  it('puts consecutive messages of one stream in one frame', () => {
    const line = (stream: StreamType.Stdout | StreamType.Stderr, text: string) => ({
      stream,
      text: Buffer.from(text),
      newline: true,
    });
    const batch = encodeLogMessages(
      [
        line(StreamType.Stdout, 'a'),
        line(StreamType.Stdout, 'b'),
        line(StreamType.Stderr, 'c'),
        line(StreamType.Stdout, 'd'),
      ],
      true,
    );
    expect([...parseFrames(batch)].map((f) => [f.stream, f.payload.toString()])).toEqual([
      [StreamType.Stdout, 'a\nb\n'],
      [StreamType.Stderr, 'c\n'],
      [StreamType.Stdout, 'd\n'],
    ]);
    expect(batch.length).toBe(3 * 8 + 8);
  });

  it('writes raw bytes for a TTY', () => {
    const raw = encodeLogMessages(
      [{ stream: StreamType.Stdout, text: Buffer.from('x'), newline: true }],
      false,
    );
    expect(raw.toString()).toBe('x\n');
  });
});
