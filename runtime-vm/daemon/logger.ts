// Structured JSON-lines logger with a level; one line per event on stderr.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.prototype.hasOwnProperty.call(levelRank, value);
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ component: 'images' }`. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  write?: (line: string) => void;
  fields?: LogFields;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = levelRank[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.fields ?? {};
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (levelRank[level] < threshold) return;
    const record: LogFields = { time: new Date().toISOString(), level, msg, ...base, ...fields };
    for (const [key, value] of Object.entries(record)) {
      if (value instanceof Error) record[key] = value.message;
    }
    write(JSON.stringify(record) + '\n');
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything, for unit tests. */
export const silentLogger: Logger = createLogger({ level: 'fatal', write: () => undefined });
