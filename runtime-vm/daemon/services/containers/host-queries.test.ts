import { mkdirSync, mkdtempSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directorySize, parsePsOutput } from './host-queries';

describe('parsePsOutput', () => {
  const output = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init',
    'root         420     400  0 10:01 ?        00:00:00 sleep 100 --with args',
    'root         421     420  0 10:01 ?        00:00:00 sh',
  ].join('\n');

  it('keeps only the container pids and the command with its spaces', () => {
    expect(parsePsOutput(output, [420, 421])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '420', '400', '0', '10:01', '?', '00:00:00', 'sleep 100 --with args'],
        ['root', '421', '420', '0', '10:01', '?', '00:00:00', 'sh'],
      ],
    });
  });

  it('needs a PID column', () => {
    expect(() => parsePsOutput('USER CMD\nroot x', [1])).toThrow("Couldn't find PID field");
  });
});

describe('directorySize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sums file sizes, counting hard links once; missing dirs are 0', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a'), 'x'.repeat(100));
    writeFileSync(join(dir, 'sub', 'b'), 'y'.repeat(50));
    linkSync(join(dir, 'sub', 'b'), join(dir, 'c'));
    expect(await directorySize(dir)).toBe(150);
    expect(await directorySize(join(dir, 'missing'))).toBe(0);
  });
});
