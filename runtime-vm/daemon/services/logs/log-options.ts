// `--log-opt` for our json-file-like logs: Docker's json-file options and semantics. max-size caps
// one file; max-file counts the live file plus rotated ones (`<log>.1` newest … `<log>.N-1`
// oldest). Without max-size nothing rotates, as with Docker's default.

/** Options dockerd's json-file driver accepts; anything else is refused as dockerd does. */
const knownOptions = new Set([
  'max-size',
  'max-file',
  'compress',
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
]);

/** Drivers whose options are ours to check: we serve them all with conmon's k8s-file log. */
const fileDrivers = new Set(['', 'json-file', 'k8s-file', 'local']);

export interface LogRotation {
  /** Bytes one file may hold before it rotates; undefined: no limit, no rotation. */
  maxSize?: number;
  /** Files kept, the live one included (1: the live file is emptied when full). */
  maxFile: number;
}

/** A log option with a bad value; the message names the option. */
export class LogOptionError extends RangeError {}

const decimalUnits: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
};

/**
 * Docker's human size (go-units FromHumanSize, what json-file's max-size uses): decimal units,
 * case-insensitive, an optional `i` and `b` after the unit: `10m`, `1.5k`, `2MB`, `10KiB`, `512`.
 */
export function parseHumanSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(text);
  if (!match) throw new RangeError(`invalid size: '${text}'`);
  return Math.floor(Number(match[1]) * decimalUnits[match[2]!.toLowerCase()]!);
}

/** Checks a container's LogConfig at create time, so a bad value is a 400, not a failed start. */
export function parseLogConfig(
  type: string | undefined,
  config: Record<string, string> | undefined,
): LogRotation {
  const options = config ?? {};
  if (!fileDrivers.has(type ?? '')) return { maxFile: 1 };
  const driver = type || 'json-file';
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key))
      throw new LogOptionError(`unknown log opt '${key}' for ${driver} log driver`);
  }
  const rotation: LogRotation = { maxFile: 1 };
  const size = options['max-size'];
  if (size !== undefined && size !== '') {
    let bytes: number;
    try {
      bytes = parseHumanSize(size);
    } catch (error) {
      throw new LogOptionError(`invalid log opt 'max-size': ${(error as Error).message}`);
    }
    if (bytes <= 0) throw new LogOptionError("log opt 'max-size' must be a positive number");
    rotation.maxSize = bytes;
  }
  const files = options['max-file'];
  if (files !== undefined && files !== '') {
    if (!/^[+-]?\d+$/.test(files))
      throw new LogOptionError(`invalid log opt 'max-file': '${files}' is not a number`);
    const count = Number(files);
    if (count < 1) throw new LogOptionError("log opt 'max-file' cannot be less than 1");
    rotation.maxFile = count;
  }
  const compress = options['compress'];
  if (compress !== undefined && compress !== '' && !/^(1|0|t|f|true|false)$/i.test(compress))
    throw new LogOptionError(`invalid log opt 'compress': '${compress}' is not a boolean`);
  return rotation;
}

/** `<log>.1` … `<log>.N-1`, newest first: where rotated files live for `maxFile` files. */
export function rotatedLogPath(logPath: string, generation: number): string {
  return `${logPath}.${generation}`;
}

/**
 * The renames of one rotation, in the order to do them: the oldest kept file is dropped by the
 * first rename over it, every other moves one generation older, and the just-filled file becomes
 * generation 1.
 */
export function rotationRenames(
  logPath: string,
  filledPath: string,
  maxFile: number,
): { from: string; to: string }[] {
  const renames: { from: string; to: string }[] = [];
  for (let generation = maxFile - 2; generation >= 1; generation--) {
    renames.push({
      from: rotatedLogPath(logPath, generation),
      to: rotatedLogPath(logPath, generation + 1),
    });
  }
  renames.push({ from: filledPath, to: rotatedLogPath(logPath, 1) });
  return renames;
}
