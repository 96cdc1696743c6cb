// conmon writes container output in the k8s-file format, one record per line:
//   2026-01-01T00:00:00.123456789+00:00 stdout F text
// where F ends a line and P marks a partial chunk that the next record continues. Docker's API
// speaks of log messages with UTC timestamps in a fixed-width format, so records are parsed here
// and rendered the Docker way by the logs router.

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  /** Nanoseconds since the epoch, for since/until filtering and Docker's timestamp. */
  timeNs: bigint;
  stream: LogStream;
  /** The output bytes of the record, a view into the chunk read (no copy). */
  text: Buffer;
  /** A full line (F) ends with a newline in the output; a partial chunk (P) does not. */
  newline: boolean;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const NS_PER_SECOND = 1_000_000_000n;

// Log lines come in bursts within the same second: remember the last whole-second prefix.
let cachedPrefix = '';
let cachedSecondsNs = 0n;

/** Parses a k8s-file timestamp quickly, reusing the previous line's whole-second value. */
function parseLogTime(text: string): bigint | undefined {
  // 2026-01-01T00:00:00.123456789+00:00: the prefix is everything but the fraction.
  const dot = text.indexOf('.', 19);
  if (dot === 19) {
    const zoneStart = text.length - 6;
    const prefix = text.slice(0, 19) + text.slice(zoneStart);
    const fraction = text.slice(20, zoneStart);
    if (prefix === cachedPrefix && /^\d{1,9}$/.test(fraction)) {
      return cachedSecondsNs + BigInt(fraction.padEnd(9, '0'));
    }
    const full = parseRfc3339Nano(text);
    if (full === undefined) return undefined;
    cachedPrefix = prefix;
    cachedSecondsNs = full - BigInt(fraction.padEnd(9, '0'));
    return full;
  }
  return parseRfc3339Nano(text);
}

/** Parses `2026-01-01T00:00:00.123456789+00:00` (any offset, any fraction length) to epoch ns. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(
      text,
    );
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const wholeMs = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  if (Number.isNaN(wholeMs)) return undefined;
  let offsetSeconds = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetSeconds = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  const seconds = BigInt(wholeMs / 1000 - offsetSeconds);
  return seconds * NS_PER_SECOND + BigInt(fraction.padEnd(9, '0'));
}

/** Docker's fixed-width `2006-01-02T15:04:05.000000000Z` rendering of a UTC time. */
let formattedSeconds = -1n;
let formattedPrefix = '';

export function formatDockerTimestamp(timeNs: bigint): string {
  const seconds = timeNs / NS_PER_SECOND;
  const nanos = timeNs % NS_PER_SECOND;
  if (seconds !== formattedSeconds) {
    formattedSeconds = seconds;
    formattedPrefix = new Date(Number(seconds) * 1000).toISOString().slice(0, 19); // 2026-01-01T00:00:00
  }
  return `${formattedPrefix}.${nanos.toString().padStart(9, '0')}Z`;
}

/**
 * Parses `seconds[.fraction]` as the API's since/until take them, or an RFC 3339 time.
 * Returns undefined for an empty or zero value, which means "no bound".
 */
export function parseLogTimeBound(value: string | null, name: string): bigint | undefined {
  if (value === null || value === '' || value === '0') return undefined;
  const numeric = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (numeric) {
    return BigInt(numeric[1]!) * NS_PER_SECOND + BigInt((numeric[2] ?? '').padEnd(9, '0'));
  }
  const parsed = parseRfc3339Nano(value);
  if (parsed === undefined) throw new RangeError(`invalid value for ${name}: ${value}`);
  return parsed;
}

/**
 * Parses one k8s-file line (without its trailing newline). Returns undefined for a line that is
 * not a record, so a torn write at the end of a file is skipped instead of served as output.
 * Without `withTime` the timestamp is only checked for shape and timeNs is 0: most reads need
 * neither timestamps nor since/until, and skipping the date maths doubles throughput.
 */
export function parseK8sLine(line: Buffer, withTime = true): LogRecord | undefined {
  return parseK8sRecord(line, 0, line.length, withTime);
}

/** `stdout` / `stderr` at `at` (6 bytes), told apart without making a string per line. */
function streamAt(chunk: Buffer, at: number): LogStream | undefined {
  if (chunk[at] !== 0x73 || chunk[at + 1] !== 0x74 || chunk[at + 2] !== 0x64) return undefined;
  const a = chunk[at + 3];
  const b = chunk[at + 4];
  const c = chunk[at + 5];
  if (a === 0x6f && b === 0x75 && c === 0x74) return 'stdout'; // out
  if (a === 0x65 && b === 0x72 && c === 0x72) return 'stderr'; // err
  return undefined;
}

/**
 * Checks the header of the record in `chunk` from `start` to `end` (its newline excluded) and
 * returns where its first space is, or -1 when the line is not a record. Works on offsets so that
 * nothing is made per line: at a million lines per 100 MB, each allocation per line is a
 * noticeable share of `docker logs` (mostly as garbage collection).
 */
function recordHeader(chunk: Buffer, start: number, end: number): number {
  const firstSpace = chunk.indexOf(SPACE, start);
  if (firstSpace < start + 20 || firstSpace >= end) return -1;
  const secondSpace = firstSpace + 7;
  if (secondSpace >= end || chunk[secondSpace] !== SPACE) return -1;
  if (!streamAt(chunk, firstSpace + 1)) return -1;
  const tag = chunk[secondSpace + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return -1;
  if (chunk[start + 4] !== 0x2d /* - */ || chunk[start + 10] !== 0x54 /* T */) return -1;
  return firstSpace;
}

// After the first space come the stream, a space, F or P, one more space and the text; an empty
// line has no space after its tag at all.
const textStartOf = (firstSpace: number, end: number) => Math.min(firstSpace + 10, end);
const isFullLine = (chunk: Buffer, firstSpace: number) => chunk[firstSpace + 8] === 0x46; /* F */
// The header was checked: the stream is stdout or stderr, told apart by its fourth letter.
const isStderr = (chunk: Buffer, firstSpace: number) => chunk[firstSpace + 4] === 0x65; /* e */

function parseK8sRecord(
  chunk: Buffer,
  start: number,
  end: number,
  withTime: boolean,
): LogRecord | undefined {
  const firstSpace = recordHeader(chunk, start, end);
  if (firstSpace < 0) return undefined;
  let timeNs = 0n;
  if (withTime) {
    const parsed = parseLogTime(chunk.toString('latin1', start, firstSpace));
    if (parsed === undefined) return undefined;
    timeNs = parsed;
  }
  return {
    timeNs,
    stream: isStderr(chunk, firstSpace) ? 'stderr' : 'stdout',
    text: chunk.subarray(textStartOf(firstSpace, end), end),
    newline: isFullLine(chunk, firstSpace),
  };
}

/** One record of `lines`, as offsets into it: its stream, its text, and whether it ends a line. */
export type K8sRecordVisitor = (
  stderr: boolean,
  textStart: number,
  textEnd: number,
  newline: boolean,
) => void;

/**
 * Visits the records of `lines` (whole lines) without making an object per record: the logs
 * fast path, for reads that need no record times. Lines that are not records are skipped.
 */
export function scanK8sRecords(lines: Buffer, visit: K8sRecordVisitor): void {
  let start = 0;
  for (;;) {
    const end = lines.indexOf(NEWLINE, start);
    if (end < 0) return;
    const firstSpace = recordHeader(lines, start, end);
    if (firstSpace >= 0) {
      visit(
        isStderr(lines, firstSpace),
        textStartOf(firstSpace, end),
        end,
        isFullLine(lines, firstSpace),
      );
    }
    start = end + 1;
  }
}

/**
 * Splits a chunk of a log file into records. Bytes after the last newline are returned as
 * `rest`, to be prepended to the next chunk: a line is only parsed once it is complete.
 */
export function parseK8sChunk(
  chunk: Buffer,
  withTime = true,
): { records: LogRecord[]; rest: Buffer } {
  const records: LogRecord[] = [];
  let start = 0;
  for (;;) {
    const end = chunk.indexOf(NEWLINE, start);
    if (end < 0) break;
    const record = parseK8sRecord(chunk, start, end, withTime);
    if (record) records.push(record);
    start = end + 1;
  }
  return { records, rest: chunk.subarray(start) };
}
