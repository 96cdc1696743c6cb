// Docker's stdio framing for attach, exec and logs. Without a TTY every payload gets an 8-byte
// header [stream, 0, 0, 0, length as uint32 big-endian]; with a TTY the bytes go raw.
export enum StreamType {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  /** Errors the daemon reports in-band on a logs stream. */
  SystemErr = 3,
}

export const FRAME_HEADER_SIZE = 8;

export function frameHeader(stream: StreamType, length: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(length, 4);
  return header;
}

export function frame(stream: StreamType, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(stream, payload.length), payload]);
}

/** One log message as the logs endpoint renders it, before batching. */
export interface LogMessage {
  stream: StreamType.Stdout | StreamType.Stderr;
  /** Prefix such as Docker's `2026-01-01T00:00:00.000000000Z ` when timestamps=1. */
  prefix?: string;
  text: Buffer;
  newline: boolean;
}

const NEWLINE = 0x0a;

/**
 * Renders many messages into one buffer, so a batch costs one socket write. Consecutive messages
 * of the same stream share one frame: the protocol gives frames no meaning beyond their stream,
 * and clients (the CLI's stdcopy, docker-modem's demux) pay per frame, so one frame per line
 * would make the client the bottleneck.
 */
export function encodeLogMessages(messages: LogMessage[], multiplexed: boolean): Buffer {
  let size = 0;
  let previous: StreamType | undefined;
  for (const message of messages) {
    if (multiplexed && message.stream !== previous) size += FRAME_HEADER_SIZE;
    previous = message.stream;
    size += messageLength(message);
  }
  const writer = new LogFrameWriter(multiplexed);
  writer.begin(Buffer.allocUnsafe(size));
  for (const { stream, text, newline, prefix } of messages) {
    writer.add(stream, text, 0, text.length, newline, prefix);
  }
  return writer.finish();
}

/**
 * Frames log text into a buffer the caller owns, one piece at a time: what encodeLogMessages
 * does, without a message object per line (the logs fast path reuses its buffers and has none).
 */
export class LogFrameWriter {
  private out: Buffer = Buffer.alloc(0);
  private offset = 0;
  private headerAt = -1;
  private previous: StreamType | undefined;

  constructor(private readonly multiplexed: boolean) {}

  /** Starts filling `out`, which must be large enough for everything added until finish(). */
  begin(out: Buffer): void {
    this.out = out;
    this.offset = 0;
    this.headerAt = -1;
    this.previous = undefined;
  }

  /** Adds source[start, end), after `prefix` and followed by a newline when asked. */
  add(
    stream: StreamType,
    source: Buffer,
    start: number,
    end: number,
    newline: boolean,
    prefix?: string,
  ): void {
    const out = this.out;
    if (this.multiplexed && stream !== this.previous) {
      this.closeFrame();
      this.headerAt = this.offset;
      out[this.offset] = stream;
      out[this.offset + 1] = 0;
      out[this.offset + 2] = 0;
      out[this.offset + 3] = 0;
      this.offset += FRAME_HEADER_SIZE;
    }
    this.previous = stream;
    if (prefix) this.offset += out.write(prefix, this.offset, 'latin1');
    this.offset += source.copy(out, this.offset, start, end);
    if (newline) out[this.offset++] = NEWLINE;
  }

  /** The bytes framed since begin(), as a view into the caller's buffer. */
  finish(): Buffer {
    if (this.multiplexed) this.closeFrame();
    return this.out.subarray(0, this.offset);
  }

  private closeFrame(): void {
    if (this.headerAt < 0) return;
    this.out.writeUInt32BE(this.offset - this.headerAt - FRAME_HEADER_SIZE, this.headerAt + 4);
  }
}

function messageLength(message: LogMessage): number {
  return (message.prefix?.length ?? 0) + message.text.length + (message.newline ? 1 : 0);
}

/** Splits a multiplexed stream back into frames (for tests and for clients in this repo). */
export function* parseFrames(data: Buffer): Generator<{ stream: StreamType; payload: Buffer }> {
  let offset = 0;
  while (offset + FRAME_HEADER_SIZE <= data.length) {
    const length = data.readUInt32BE(offset + 4);
    const end = offset + FRAME_HEADER_SIZE + length;
    if (end > data.length) return;
    yield {
      stream: data[offset] as StreamType,
      payload: data.subarray(offset + FRAME_HEADER_SIZE, end),
    };
    offset = end;
  }
}
