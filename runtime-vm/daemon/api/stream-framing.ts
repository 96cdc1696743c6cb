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
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  let headerAt = -1;
  previous = undefined;
  const closeFrame = () => {
    if (headerAt >= 0) out.writeUInt32BE(offset - headerAt - FRAME_HEADER_SIZE, headerAt + 4);
  };
  for (const message of messages) {
    if (multiplexed && message.stream !== previous) {
      closeFrame();
      headerAt = offset;
      out[offset] = message.stream;
      out[offset + 1] = 0;
      out[offset + 2] = 0;
      out[offset + 3] = 0;
      offset += FRAME_HEADER_SIZE;
    }
    previous = message.stream;
    if (message.prefix) offset += out.write(message.prefix, offset, 'latin1');
    offset += message.text.copy(out, offset);
    if (message.newline) out[offset++] = NEWLINE;
  }
  if (multiplexed) closeFrame();
  return out;
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
