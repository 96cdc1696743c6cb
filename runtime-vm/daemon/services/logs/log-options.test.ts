import { describe, expect, it } from 'vitest';
import { parseHumanSize, parseLogConfig, rotationRenames } from './log-options';

describe('log options', () => {
  it("parses sizes as dockerd's json-file does (decimal units)", () => {
    expect(parseHumanSize('512')).toBe(512);
    expect(parseHumanSize('1.5k')).toBe(1500);
    expect(parseHumanSize('10m')).toBe(10_000_000);
    expect(parseHumanSize('2MB')).toBe(2_000_000);
    expect(parseHumanSize('10KiB')).toBe(10_000);
    expect(parseHumanSize('1 g')).toBe(1_000_000_000);
    expect(() => parseHumanSize('abc')).toThrow("invalid size: 'abc'");
    expect(() => parseHumanSize('-1')).toThrow("invalid size: '-1'");
  });

  it('reads max-size and max-file, defaulting to no rotation', () => {
    expect(parseLogConfig('json-file', {})).toEqual({ maxFile: 1 });
    expect(parseLogConfig(undefined, undefined)).toEqual({ maxFile: 1 });
    expect(parseLogConfig('json-file', { 'max-size': '2k', 'max-file': '3' })).toEqual({
      maxSize: 2000,
      maxFile: 3,
    });
    expect(parseLogConfig('', { 'max-file': '3' })).toEqual({ maxFile: 3 });
  });

  it('refuses bad values naming the option', () => {
    expect(() => parseLogConfig('json-file', { 'max-size': 'abc' })).toThrow(
      "invalid log opt 'max-size': invalid size: 'abc'",
    );
    expect(() => parseLogConfig('json-file', { 'max-size': '0' })).toThrow(
      "log opt 'max-size' must be a positive number",
    );
    expect(() => parseLogConfig('json-file', { 'max-file': '0' })).toThrow(
      "log opt 'max-file' cannot be less than 1",
    );
    expect(() => parseLogConfig('json-file', { 'max-file': 'x' })).toThrow(
      "invalid log opt 'max-file': 'x' is not a number",
    );
    expect(() => parseLogConfig('json-file', { compress: 'maybe' })).toThrow(
      "invalid log opt 'compress'",
    );
    expect(() => parseLogConfig('json-file', { foo: 'bar' })).toThrow(
      "unknown log opt 'foo' for json-file log driver",
    );
  });

  it("leaves other drivers' options alone", () => {
    expect(parseLogConfig('syslog', { 'syslog-address': 'udp://x' })).toEqual({ maxFile: 1 });
  });

  it('shifts generations oldest first and drops the one beyond max-file', () => {
    expect(rotationRenames('/c/log', '/c/log.rotating', 4)).toEqual([
      { from: '/c/log.2', to: '/c/log.3' },
      { from: '/c/log.1', to: '/c/log.2' },
      { from: '/c/log.rotating', to: '/c/log.1' },
    ]);
    expect(rotationRenames('/c/log', '/c/log.rotating', 2)).toEqual([
      { from: '/c/log.rotating', to: '/c/log.1' },
    ]);
  });
});
