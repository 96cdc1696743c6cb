// The fast path of `GET /containers/{id}/logs`, for reads without timestamps, since or until
// (`docker logs` and `docker compose logs` as typed, with or without -f). Records go from the
// log reader's buffer straight into one of two output buffers, framed, and each output buffer is
// reused once the socket has taken its bytes. Nothing is made per line and no memory is new per
// chunk: fresh memory costs a page fault per 4 KiB, which capped the general path's buffers.
import type { ServerResponse } from 'node:http';
import { scanK8sRecords, type K8sRecordVisitor } from '../services/logs/k8s-log';
import { LogFrameWriter, StreamType } from './stream-framing';

export interface LogLinesStreamOptions {
  stdout: boolean;
  stderr: boolean;
  /** Docker's 8-byte frames (non-TTY containers); raw text for TTY ones. */
  multiplexed: boolean;
  signal: AbortSignal;
}

interface OutputSlot {
  buffer: Buffer;
  /** Settles once the socket no longer needs `buffer` (written, or the client left). */
  released: Promise<void>;
}

/**
 * Frames the records of each chunk of whole k8s-file lines and writes them to `res`. A chunk is
 * only valid until the next one is asked for, so it is framed before the loop moves on.
 */
export async function streamLogLines(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  options: LogLinesStreamOptions,
): Promise<void> {
  const writer = new LogFrameWriter(options.multiplexed);
  let source: Buffer = Buffer.alloc(0);
  const visit: K8sRecordVisitor = (stderr, start, end, newline) => {
    if (stderr ? options.stderr : options.stdout) {
      writer.add(stderr ? StreamType.Stderr : StreamType.Stdout, source, start, end, newline);
    }
  };
  // Two slots: one chunk is framed while the socket takes the previous one.
  const slots: OutputSlot[] = [];
  let turn = 0;
  for await (const lines of chunks) {
    if (options.signal.aborted || res.destroyed) break;
    const slot = (slots[turn++ % 2] ??= { buffer: Buffer.alloc(0), released: Promise.resolve() });
    await slot.released;
    // Framed output never outgrows its input: each record drops a prefix of at least 29 bytes
    // (time, stream, tag) and gains at most a 8-byte frame header and a newline. Powers of two:
    // full 1 MiB reads fit at once, and a follow's single lines keep small buffers.
    if (slot.buffer.length < lines.length) {
      slot.buffer = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(lines.length)));
    }
    source = lines;
    writer.begin(slot.buffer);
    scanK8sRecords(lines, visit);
    const data = writer.finish();
    if (data.length > 0) slot.released = writeReleased(res, data);
  }
  await Promise.all(slots.map((slot) => slot.released));
}

/** Writes `data`; settles when the socket has taken it, or when the client is gone. */
function writeReleased(res: ServerResponse, data: Buffer): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    res.write(data, done);
  });
}
