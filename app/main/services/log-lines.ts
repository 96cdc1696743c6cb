// Turns the engine's log stream into lines: demultiplexes the 8-byte framed stream (non-TTY),
// splits each stream into lines across chunk boundaries, and peels off the RFC 3339 timestamp the
// service always asks for. Then batches lines per 16 ms or 16 KiB so a chatty container costs one
// message per frame, not one per line.
import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogStream } from '../../shared/workbench-types';

/** Parses docker's multiplexed framing: [type,0,0,0,len BE32] + payload. */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (stream: LogStream, payload: Buffer) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const type = this.pending[offset]!;
      const length = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - 8 < length) break;
      const payload = this.pending.subarray(offset + 8, offset + 8 + length);
      // 1 stdout, 2 stderr, 3 engine-side error text: shown as stderr.
      onFrame(type === 1 || type === 0 ? 'stdout' : 'stderr', payload);
      offset += 8 + length;
    }
    this.pending = this.pending.subarray(offset);
  }
}

const timestampPattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/** Splits one stream's bytes into lines; a trailing partial line waits for its newline. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly stream: LogStream) {}

  push(payload: Buffer, onLine: (line: LogLine) => void): void {
    const text = this.partial + this.decoder.write(payload);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) onLine(toLogLine(this.stream, part));
  }

  end(onLine: (line: LogLine) => void): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest) onLine(toLogLine(this.stream, rest));
  }
}

export function toLogLine(stream: LogStream, raw: string): LogLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const match = timestampPattern.exec(line);
  return match
    ? { stream, time: match[1]!, text: line.slice(match[0].length) }
    : { stream, time: '', text: line };
}

export const batchIntervalMs = 16;
export const batchBytes = 16 * 1024;

/** Collects lines and flushes them per 16 ms or once 16 KiB of text is waiting. */
export class LineBatcher {
  private lines: LogLine[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly flushTo: (lines: LogLine[]) => void) {}

  push(line: LogLine): void {
    this.lines.push(line);
    this.bytes += line.text.length + line.time.length + 16;
    if (this.bytes >= batchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), batchIntervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.bytes = 0;
    this.flushTo(lines);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lines = [];
  }
}
