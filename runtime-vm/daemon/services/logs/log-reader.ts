// Reads a container's k8s-file logs for `GET /containers/{id}/logs`: the whole history or its
// tail, then optionally follows the file until the container stops. `readLogLines` hands out
// whole lines straight from one reused read buffer (the fast path renders them without making an
// object per line); `readLogs` parses them into records, filtered by stream and time, in batches
// so the router can frame a whole batch with one socket write.
// Every file is opened up front, as one consistent set, so a rotation while reading moves names,
// not what is read; a follow notices that the live name points at a new file, finishes the old
// one, and moves on.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseK8sChunk, type LogRecord } from './k8s-log';

export interface LogLinesOptions {
  /** Only the last N lines; undefined means all. */
  tail?: number;
  follow: boolean;
  signal: AbortSignal;
  /** Settles when the container stops: a follow reads what is left, then ends. */
  stopped?: Promise<unknown>;
}

export interface LogReadOptions extends LogLinesOptions {
  stdout: boolean;
  stderr: boolean;
  /** Only records at or after this time (epoch ns). */
  sinceNs?: bigint;
  /** Only records before this time (epoch ns). */
  untilNs?: bigint;
  /** Whether callers need record times (timestamps=1); since/until imply it. */
  timestamps: boolean;
}

const CHUNK_SIZE = 1 << 20;
const NEWLINE = 0x0a;
/** Follow re-reads on inotify events; the poll is a safety net for missed events. */
const FOLLOW_POLL_MS = 250;

/** Yields batches of records from `files`, filtered by stream and time. */
export async function* readLogs(
  files: string[],
  options: LogReadOptions,
): AsyncGenerator<LogRecord[]> {
  const withTime =
    options.timestamps || options.sinceNs !== undefined || options.untilNs !== undefined;
  const keep = (record: LogRecord): boolean =>
    (record.stream === 'stdout' ? options.stdout : options.stderr) &&
    (options.sinceNs === undefined || record.timeNs >= options.sinceNs) &&
    (options.untilNs === undefined || record.timeNs < options.untilNs);
  for await (const lines of readLogLines(files, options)) {
    // Records are views into the bytes parsed, and outlive the reused read buffer: copy.
    const kept = parseK8sChunk(Buffer.from(lines), withTime).records.filter(keep);
    if (kept.length) yield kept;
  }
}

/**
 * Yields whole lines of `files`, oldest file first (rotated files, then the live one). Each chunk
 * is a view into a reused buffer, valid until the next one is asked for. A missing file reads as
 * empty: a container that never wrote has no log yet.
 */
export async function* readLogLines(
  files: string[],
  options: LogLinesOptions,
): AsyncGenerator<Buffer> {
  const handles = await openTogether(files);
  const readers = files.map((path, index) => new LogFileReader(path, handles[index] ?? undefined));
  try {
    const start =
      options.tail === undefined ? { file: 0, offset: 0 } : await tailStart(handles, options.tail);
    const live = readers[readers.length - 1];
    // With tail=0 nothing old is read, and a follow starts at the end of the live file.
    if (start.file >= files.length && live) live.position = await live.size();
    for (let index = start.file; index < files.length; index++) {
      const reader = readers[index]!;
      if (index === start.file) reader.position = start.offset;
      yield* reader.readToEnd(options.signal);
    }
    if (!options.follow || !live || options.signal.aborted) return;
    // The follow owns the live reader from here on.
    readers.pop();
    yield* follow(live, options);
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}

/**
 * Opens every file as one set. A rotation between two opens shifts the names (`.1` becomes `.2`),
 * which would skip a file or read one twice: so every name must still lead to the file opened
 * for it, or the set is opened again (a few times at most: rotations are far apart).
 */
async function openTogether(files: string[]): Promise<Array<FileHandle | null>> {
  for (let attempt = 1; ; attempt++) {
    const handles = await Promise.all(files.map(openIfPresent));
    if (attempt >= 5 || (await stillNamed(files, handles))) return handles;
    await Promise.all(handles.map((handle) => handle?.close()));
  }
}

export async function stillNamed(
  files: string[],
  handles: Array<FileHandle | null>,
): Promise<boolean> {
  const identity = (info: { dev: number; ino: number } | null) =>
    info ? `${info.dev}:${info.ino}` : 'none';
  const [opened, named] = await Promise.all([
    Promise.all(handles.map((handle) => (handle ? handle.stat() : null))),
    Promise.all(files.map((path) => stat(path).catch(() => null))),
  ]);
  return opened.every((info, index) => identity(info) === identity(named[index] ?? null));
}

async function openIfPresent(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function* follow(first: LogFileReader, options: LogLinesOptions): AsyncGenerator<Buffer> {
  let reader = first;
  const path = reader.path;
  let wake: (() => void) | undefined;
  let stopped = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  let watcher: FSWatcher | undefined;
  try {
    // The folder, not the file: a rotation puts a new file under the same name.
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (!changed || changed.startsWith(name)) notify();
    });
    watcher.on('error', notify);
  } catch {
    // The folder may be gone (container removed); polling covers the rest.
  }
  const poll = setInterval(notify, FOLLOW_POLL_MS);
  const onAbort = () => notify();
  options.signal.addEventListener('abort', onAbort);
  void options.stopped?.then(
    () => {
      stopped = true;
      notify();
    },
    () => {
      stopped = true;
      notify();
    },
  );
  try {
    while (!options.signal.aborted) {
      const wasStopped = stopped;
      // Looked at before reading: once the name shows a new file, conmon is done with the old.
      const replaced = await reader.isReplaced();
      yield* reader.readToEnd(options.signal);
      if (replaced) {
        await reader.close();
        reader = new LogFileReader(path);
        continue;
      }
      // Once the container stopped, the read just done saw everything conmon wrote.
      if (wasStopped) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(poll);
    watcher?.close();
    options.signal.removeEventListener('abort', onAbort);
    await reader.close();
  }
}

/** Reads one log file forward from an offset, keeping an incomplete last line for the next read. */
class LogFileReader {
  private handle: FileHandle | undefined;
  private buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  /** Bytes of an incomplete line at the start of `buffer`, read but not handed out yet. */
  private carried = 0;
  /** Where the next read starts in the file. */
  position = 0;

  constructor(
    readonly path: string,
    handle?: FileHandle,
  ) {
    this.handle = handle;
  }

  async size(): Promise<number> {
    return this.handle ? (await this.handle.stat()).size : 0;
  }

  /** Whether the path now names another file than the one being read (a rotation). */
  async isReplaced(): Promise<boolean> {
    let current: number;
    try {
      current = (await stat(this.path)).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (!this.handle) return false;
    return (await this.handle.stat()).ino !== current;
  }

  /** Yields the whole lines up to the end of the file, each chunk a view into the read buffer. */
  async *readToEnd(signal: AbortSignal): AsyncGenerator<Buffer> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
    }
    const size = (await this.handle.stat()).size;
    if (size < this.position) {
      // The file was truncated in place: start again from the top.
      this.position = 0;
      this.carried = 0;
    }
    while (!signal.aborted) {
      // A line longer than the buffer (never from conmon, which splits long lines) grows it.
      if (this.carried === this.buffer.length) {
        const grown = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(grown, 0, 0, this.carried);
        this.buffer = grown;
      }
      const { bytesRead } = await this.handle.read(
        this.buffer,
        this.carried,
        this.buffer.length - this.carried,
        this.position,
      );
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const filled = this.carried + bytesRead;
      const lastNewline = this.buffer.lastIndexOf(NEWLINE, filled - 1);
      if (lastNewline < 0) {
        this.carried = filled;
        continue;
      }
      yield this.buffer.subarray(0, lastNewline + 1);
      // The consumer is done with the view: keep the incomplete line for the next read.
      this.carried = this.buffer.copy(this.buffer, 0, lastNewline + 1, filled);
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/**
 * Finds where the last `lines` full lines start, reading backwards from the newest file.
 * Partial chunks (P) just before a counted line belong to it and are included.
 */
export async function tailStart(
  files: (FileHandle | null)[],
  lines: number,
): Promise<{ file: number; offset: number }> {
  if (lines <= 0) return { file: files.length, offset: 0 };
  let remaining = lines;
  for (let index = files.length - 1; index >= 0; index--) {
    const handle = files[index];
    if (!handle) continue;
    const found = await scanBackwards(handle, remaining);
    if (found.offset !== undefined) return { file: index, offset: found.offset };
    remaining -= found.counted;
  }
  return { file: 0, offset: 0 };
}

/**
 * Counts full-line records from the end of one file. When more than `wanted` exist, returns the
 * offset just after the newline of the (wanted+1)-th from the end, where reading should start.
 */
async function scanBackwards(
  handle: FileHandle,
  wanted: number,
): Promise<{ offset?: number; counted: number }> {
  const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  let end = (await handle.stat()).size;
  // The head of a line that started before `end`, carried into the next (earlier) block.
  let carry = Buffer.alloc(0);
  let counted = 0;
  let sawLastNewline = false;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK_SIZE);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const block = Buffer.concat([buffer.subarray(0, bytesRead), carry]);
    let lineEnd = block.length;
    if (!sawLastNewline) {
      // A torn last line (no newline yet) is not a record: start before it.
      const lastNewline = block.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        carry = block;
        end = start;
        continue;
      }
      sawLastNewline = true;
      lineEnd = lastNewline;
    }
    for (;;) {
      const newline = lineEnd === 0 ? -1 : block.lastIndexOf(NEWLINE, lineEnd - 1);
      if (newline < 0 && start > 0) {
        carry = block.subarray(0, lineEnd);
        break;
      }
      if (isFullLine(block, newline + 1, lineEnd)) {
        if (counted === wanted) return { offset: start + lineEnd + 1, counted };
        counted++;
      }
      if (newline < 0) return { counted };
      lineEnd = newline;
    }
    end = start;
  }
  return { counted };
}

/** Whether the record in block[start, end) is an F (full line) record. */
function isFullLine(block: Buffer, start: number, end: number): boolean {
  const firstSpace = block.indexOf(0x20, start);
  if (firstSpace < 0 || firstSpace >= end) return false;
  const secondSpace = block.indexOf(0x20, firstSpace + 1);
  if (secondSpace < 0 || secondSpace + 1 >= end) return false;
  return block[secondSpace + 1] === 0x46; /* F */
}
