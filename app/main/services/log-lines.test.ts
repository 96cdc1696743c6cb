import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../shared/workbench-types';
import { FrameDemuxer, LineBatcher, LineSplitter, batchBytes, toLogLine } from './log-lines';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDemuxer', () => {
  it('splits frames across arbitrary chunk boundaries and keeps the stream of each', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    const seen: [string, string][] = [];
    const demuxer = new FrameDemuxer();
    for (let offset = 0; offset < bytes.length; offset += 5) {
      demuxer.push(bytes.subarray(offset, offset + 5), (stream, payload) =>
        seen.push([stream, payload.toString()]),
      );
    }
    expect(seen.map(([stream]) => stream)).toEqual(expect.arrayContaining(['stdout', 'stderr']));
    expect(
      seen
        .filter(([s]) => s === 'stdout')
        .map(([, t]) => t)
        .join(''),
    ).toBe('out one\nout two\n');
    expect(
      seen
        .filter(([s]) => s === 'stderr')
        .map(([, t]) => t)
        .join(''),
    ).toBe('err\n');
  });
});

describe('LineSplitter', () => {
  it('joins partial lines and multi-byte characters split between chunks', () => {
    const splitter = new LineSplitter('stdout');
    const lines: LogLine[] = [];
    const text = Buffer.from('2024-01-02T03:04:05.123456789Z héllo\n2024-01-02T03:04:06Z wörld');
    splitter.push(text.subarray(0, 38), (line) => lines.push(line));
    splitter.push(text.subarray(38), (line) => lines.push(line));
    expect(lines).toEqual([
      { stream: 'stdout', time: '2024-01-02T03:04:05.123456789Z', text: 'héllo' },
    ]);
    splitter.end((line) => lines.push(line));
    expect(lines[1]).toEqual({ stream: 'stdout', time: '2024-01-02T03:04:06Z', text: 'wörld' });
  });

  it('keeps lines without a timestamp and strips a CR before the newline', () => {
    expect(toLogLine('stderr', 'plain text\r')).toEqual({
      stream: 'stderr',
      time: '',
      text: 'plain text',
    });
  });
});

describe('LineBatcher', () => {
  afterEach(() => vi.useRealTimers());

  it('flushes once per 16 ms for slow output', () => {
    vi.useFakeTimers();
    const batches: LogLine[][] = [];
    const batcher = new LineBatcher((lines) => batches.push(lines));
    batcher.push(toLogLine('stdout', 'a'));
    batcher.push(toLogLine('stdout', 'b'));
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(16);
    expect(batches.map((batch) => batch.map((line) => line.text))).toEqual([['a', 'b']]);
    batcher.dispose();
  });

  it('flushes as soon as 16 KiB are waiting, without waiting for the timer', () => {
    vi.useFakeTimers();
    const batches: LogLine[][] = [];
    const batcher = new LineBatcher((lines) => batches.push(lines));
    const long = 'x'.repeat(1000);
    for (let index = 0; index < 40; index++) batcher.push(toLogLine('stdout', long));
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const batch of batches) {
      const bytes = batch.reduce((sum, line) => sum + line.text.length, 0);
      expect(bytes).toBeLessThanOrEqual(batchBytes + 1000);
    }
    batcher.flush();
    expect(batches.flat()).toHaveLength(40);
    batcher.dispose();
  });
});
