import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey } from './cache-key';

describe('cacheKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cache-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('depends on every part, not on the order the parts are listed', () => {
    const a = cacheKey({ suite: 'bookworm', packages: 'runc conmon' });
    expect(cacheKey({ packages: 'runc conmon', suite: 'bookworm' })).toBe(a);
    expect(cacheKey({ suite: 'bookworm', packages: 'runc' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads file parts, so a changed input file changes the key', () => {
    const file = join(dir, 'berthd.mjs');
    writeFileSync(file, 'one');
    const first = cacheKey({ berthd: { file } });
    writeFileSync(file, 'two');
    expect(cacheKey({ berthd: { file } })).not.toBe(first);
  });

  it('does not confuse a part boundary with content', () => {
    expect(cacheKey({ a: 'xy', b: 'z' })).not.toBe(cacheKey({ a: 'x', b: 'yz' }));
  });
});
