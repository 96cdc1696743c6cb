// conmon's side of a rotation is simulated the way conmon 2.1 does it: write `<log>.tmp`, then
// rename it over `<log>`.
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogRotator, listLogFiles, pendingRotationPath } from './log-rotator';

let dir: string;
let log: string;
const errors: unknown[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-rotate-'));
  log = join(dir, 'container.log');
  errors.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function conmonRotates(content: string): void {
  writeFileSync(`${log}.tmp`, content);
  renameSync(`${log}.tmp`, log);
}

describe('log rotation', () => {
  it('keeps max-file generations, newest as .1, dropping the oldest', async () => {
    writeFileSync(log, 'first\n');
    const rotator = new LogRotator(log, { maxSize: 10, maxFile: 3 }, (e) => errors.push(e));
    await rotator.check();
    for (const content of ['second\n', 'third\n', 'fourth\n']) {
      conmonRotates(content);
      await rotator.check();
    }
    rotator.stop();
    expect(errors).toEqual([]);
    expect(readFileSync(log, 'utf8')).toBe('fourth\n');
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('third\n');
    expect(readFileSync(`${log}.2`, 'utf8')).toBe('second\n');
    expect(readdirSync(dir).sort()).toEqual(
      ['container.log', 'container.log.1', 'container.log.2', 'container.log.rotating'].sort(),
    );
    expect(listLogFiles(log)).toEqual([`${log}.2`, `${log}.1`, log]);
  });

  it('keeps a full file left by a rotation while berthd was away', async () => {
    writeFileSync(log, 'old\n');
    const before = new LogRotator(log, { maxSize: 10, maxFile: 2 }, (e) => errors.push(e));
    await before.check();
    before.stop();
    conmonRotates('new\n');
    const after = new LogRotator(log, { maxSize: 10, maxFile: 2 }, (e) => errors.push(e));
    await after.check();
    after.stop();
    expect(errors).toEqual([]);
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('old\n');
    expect(readFileSync(pendingRotationPath(log), 'utf8')).toBe('new\n');
  });

  it('lists only numbered generations, oldest first', () => {
    for (const name of [
      'container.log',
      'container.log.10',
      'container.log.2',
      'container.log.tmp',
    ])
      writeFileSync(join(dir, name), '');
    writeFileSync(join(dir, 'container.log.rotating'), '');
    expect(listLogFiles(log)).toEqual([`${log}.10`, `${log}.2`, log]);
    expect(listLogFiles(join(dir, 'missing', 'x.log'))).toEqual([join(dir, 'missing', 'x.log')]);
  });
});
