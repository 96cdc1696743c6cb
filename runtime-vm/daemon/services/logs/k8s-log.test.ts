import { describe, expect, it } from 'vitest';
import {
  formatDockerTimestamp,
  parseK8sChunk,
  parseK8sLine,
  parseLogTimeBound,
  parseRfc3339Nano,
  scanK8sRecords,
} from './k8s-log';

describe('k8s-file records', () => {
  it('parses full and partial lines with their stream and time', () => {
    const full = parseK8sLine(Buffer.from('2026-01-01T00:00:01.5+00:00 stderr F oops'));
    expect(full).toMatchObject({ stream: 'stderr', newline: true, timeNs: 1767225601_500000000n });
    expect(full?.text.toString()).toBe('oops');
    const partial = parseK8sLine(Buffer.from('2026-01-01T00:00:01.000000001+00:00 stdout P chunk'));
    expect(partial).toMatchObject({ stream: 'stdout', newline: false });
    expect(partial?.text.toString()).toBe('chunk');
  });

  it('keeps an empty line as an empty record and skips garbage', () => {
    expect(
      parseK8sLine(Buffer.from('2026-01-01T00:00:01.000000000+00:00 stdout F'))?.text.length,
    ).toBe(0);
    expect(parseK8sLine(Buffer.from('not a record at all, no'))).toBeUndefined();
    expect(
      parseK8sLine(Buffer.from('2026-01-01T00:00:01.000000000+00:00 stdin F x')),
    ).toBeUndefined();
    expect(
      parseK8sLine(Buffer.from('2026-01-01T00:00:01.000000000+00:00 stdout X x')),
    ).toBeUndefined();
  });

  it('honours time zone offsets and reuses the cached second correctly', () => {
    const a = parseK8sLine(Buffer.from('2026-01-01T01:00:00.000000001+01:00 stdout F a'));
    const b = parseK8sLine(Buffer.from('2026-01-01T01:00:00.000000002+01:00 stdout F b'));
    const c = parseK8sLine(Buffer.from('2026-01-01T00:00:00.000000003-00:00 stdout F c'));
    expect(a?.timeNs).toBe(1767225600_000000001n);
    expect(b?.timeNs).toBe(1767225600_000000002n);
    expect(c?.timeNs).toBe(1767225600_000000003n);
  });

  it('only parses complete lines and returns the rest', () => {
    const { records, rest } = parseK8sChunk(
      Buffer.from(
        '2026-01-01T00:00:00.1+00:00 stdout F one\n2026-01-01T00:00:00.2+00:00 stdout F tw',
      ),
    );
    expect(records.map((r) => r.text.toString())).toEqual(['one']);
    expect(rest.toString()).toBe('2026-01-01T00:00:00.2+00:00 stdout F tw');
  });

  it('visits the records of whole lines as offsets, skipping lines that are not records', () => {
    const lines = Buffer.from(
      '2026-01-01T00:00:00.000000001+00:00 stdout P hel\n' +
        'garbage without a header\n' +
        '2026-01-01T00:00:00.000000002+00:00 stdout F lo\n' +
        '2026-01-01T00:00:00.000000003+00:00 stderr F\n' +
        '2026-01-01T00:00:00.000000004+00:00 stdin F no\n' +
        '2026-01-01T00:00:00.000000005+00:00 stderr F oops\n',
    );
    const seen: string[] = [];
    scanK8sRecords(lines, (stderr, start, end, newline) =>
      seen.push(`${stderr ? 'err' : 'out'}:${lines.toString('latin1', start, end)}:${newline}`),
    );
    expect(seen).toEqual(['out:hel:false', 'out:lo:true', 'err::true', 'err:oops:true']);
  });

  it('renders Docker fixed-width UTC timestamps', () => {
    expect(formatDockerTimestamp(1767225601_000000007n)).toBe('2026-01-01T00:00:01.000000007Z');
    expect(formatDockerTimestamp(parseRfc3339Nano('2026-06-30T23:59:59.123+02:00')!)).toBe(
      '2026-06-30T21:59:59.123000000Z',
    );
  });

  it('parses since/until as seconds with fractions, RFC 3339, or nothing', () => {
    expect(parseLogTimeBound('1767225601.25', 'since')).toBe(1767225601_250000000n);
    expect(parseLogTimeBound('1767225601', 'since')).toBe(1767225601_000000000n);
    expect(parseLogTimeBound('0', 'until')).toBeUndefined();
    expect(parseLogTimeBound(null, 'until')).toBeUndefined();
    expect(parseLogTimeBound('2026-01-01T00:00:01Z', 'since')).toBe(1767225601_000000000n);
    expect(() => parseLogTimeBound('yesterday', 'since')).toThrow(
      'invalid value for since: yesterday',
    );
  });
});
