import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord } from './k8s-log';
import { readLogLines, readLogs, stillNamed, tailStart, type LogReadOptions } from './log-reader';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (second: number, stream: 'stdout' | 'stderr', text: string, tag = 'F') =>
  `2026-01-01T00:00:${String(second).padStart(2, '0')}.000000000+00:00 ${stream} ${tag} ${text}\n`;

const options = (overrides: Partial<LogReadOptions> = {}): LogReadOptions => ({
  stdout: true,
  stderr: true,
  follow: false,
  timestamps: false,
  signal: new AbortController().signal,
  ...overrides,
});

async function collect(files: string[], opts: LogReadOptions): Promise<string> {
  let out = '';
  for await (const batch of readLogs(files, opts)) out += render(batch);
  return out;
}

const render = (batch: LogRecord[]) =>
  batch
    .map((r) => `${r.stream === 'stderr' ? '!' : ''}${r.text.toString()}${r.newline ? '\n' : ''}`)
    .join('');

describe('readLogs', () => {
  it('joins partial chunks, filters streams and ignores a torn last line', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(
      file,
      line(1, 'stdout', 'hel', 'P') +
        line(1, 'stdout', 'lo') +
        line(2, 'stderr', 'bad') +
        '2026-01-01T00:00:0',
    );
    expect(await collect([file], options())).toBe('hello\n!bad\n');
    expect(await collect([file], options({ stderr: false }))).toBe('hello\n');
    expect(await collect([file], options({ stdout: false }))).toBe('!bad\n');
  });

  it('applies since (inclusive) and until (exclusive)', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(file, line(1, 'stdout', 'a') + line(2, 'stdout', 'b') + line(3, 'stdout', 'c'));
    const base = 1767225600n * 1_000_000_000n;
    expect(await collect([file], options({ sinceNs: base + 2_000_000_000n }))).toBe('b\nc\n');
    expect(await collect([file], options({ untilNs: base + 3_000_000_000n }))).toBe('a\nb\n');
  });

  it('tails full lines across rotated files, keeping partial chunks with their line', async () => {
    const old = join(dir, 'ctr.log.1');
    const live = join(dir, 'ctr.log');
    writeFileSync(old, line(1, 'stdout', 'one') + line(2, 'stdout', 'two'));
    writeFileSync(
      live,
      line(3, 'stdout', 'thr', 'P') + line(3, 'stdout', 'ee') + line(4, 'stdout', 'four'),
    );
    expect(await collect([old, live], options({ tail: 2 }))).toBe('three\nfour\n');
    expect(await collect([old, live], options({ tail: 3 }))).toBe('two\nthree\nfour\n');
    expect(await collect([old, live], options({ tail: 100 }))).toBe('one\ntwo\nthree\nfour\n');
    expect(await collect([old, live], options({ tail: 0 }))).toBe('');
    const handle = await open(live, 'r');
    try {
      expect(await tailStart([null, handle], 1)).toEqual({
        file: 1,
        offset: Buffer.byteLength(line(3, 'stdout', 'thr', 'P') + line(3, 'stdout', 'ee')),
      });
    } finally {
      await handle.close();
    }
  });

  it('tails correctly when lines straddle the 1 MiB read blocks', async () => {
    const file = join(dir, 'ctr.log');
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      line(i % 60, 'stdout', `line ${i} ${'x'.repeat(i % 97)}`),
    );
    writeFileSync(file, lines.join(''));
    const out = await collect([file], options({ tail: 20_001 }));
    const got = out.trimEnd().split('\n');
    expect(got).toHaveLength(20_001);
    expect(got[0]).toMatch(/^line 9999 /);
    expect(got.at(-1)).toMatch(/^line 29999 /);
  });

  it('reads a line longer than its read buffer whole, and the lines around it', async () => {
    const file = join(dir, 'ctr.log');
    const long = 'y'.repeat(2_500_000);
    writeFileSync(
      file,
      line(1, 'stdout', 'before') + line(2, 'stderr', long) + line(3, 'stdout', 'after'),
    );
    expect(await collect([file], options())).toBe(`before\n!${long}\nafter\n`);
  });

  it('hands out only whole lines, keeping a torn one until its end arrives', async () => {
    const file = join(dir, 'ctr.log');
    const whole = line(1, 'stdout', 'one');
    const torn = line(2, 'stdout', 'two');
    writeFileSync(file, whole + torn.slice(0, 20));
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const chunks: string[] = [];
    const done = (async () => {
      for await (const lines of readLogLines([file], {
        follow: true,
        signal: new AbortController().signal,
        stopped,
      }))
        chunks.push(lines.toString());
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(file, torn.slice(20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    await done;
    expect(chunks).toEqual([whole, torn]);
  });

  it('reads a missing file as empty', async () => {
    expect(await collect([join(dir, 'none.log')], options())).toBe('');
  });

  it('follows appended output and ends once the container stopped', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(file, line(1, 'stdout', 'before'));
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of readLogs([file], options({ follow: true, stopped })))
        seen.push(render(batch));
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(file, line(2, 'stdout', 'during'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    appendFileSync(file, line(3, 'stdout', 'last words'));
    stop();
    await done;
    expect(seen.join('')).toBe('before\nduring\nlast words\n');
  });

  it('stops following when the client goes away', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(file, line(1, 'stdout', 'x'));
    const abort = new AbortController();
    const done = (async () => {
      let count = 0;
      for await (const batch of readLogs([file], options({ follow: true, signal: abort.signal })))
        count += batch.length;
      return count;
    })();
    setTimeout(() => abort.abort(), 50);
    expect(await done).toBe(1);
  });

  it('follows into the new file when conmon renames a fresh one over the live name', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(file, line(1, 'stdout', 'one'));
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of readLogs([file], options({ follow: true, stopped })))
        seen.push(render(batch));
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The last record conmon wrote to the old file, then its rotation: tmp renamed over the name.
    appendFileSync(file, line(2, 'stdout', 'two'));
    renameSync(file, `${file}.1`);
    writeFileSync(`${file}.tmp`, line(3, 'stdout', 'three'));
    renameSync(`${file}.tmp`, file);
    await new Promise((resolve) => setTimeout(resolve, 100));
    appendFileSync(file, line(4, 'stdout', 'four'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    await done;
    expect(seen.join('')).toBe('one\ntwo\nthree\nfour\n');
  });

  it('starts again from the top when conmon truncated the file', async () => {
    const file = join(dir, 'ctr.log');
    writeFileSync(file, line(1, 'stdout', 'a long line before the cap was reached'));
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of readLogs([file], options({ follow: true, stopped })))
        seen.push(render(batch));
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(file, line(2, 'stdout', 'new'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    await done;
    expect(seen.join('')).toBe('a long line before the cap was reached\nnew\n');
  });
});

describe('stillNamed', () => {
  it('tells whether a rotation moved the names of files opened as one set', async () => {
    const names = ['ctr.log.2', 'ctr.log.1', 'ctr.log'].map((name) => join(dir, name));
    for (const name of names.slice(1)) writeFileSync(name, name);
    const handles = await Promise.all(names.map((name) => open(name).catch(() => null)));
    try {
      expect(await stillNamed(names, handles)).toBe(true);
      // A rotation: .1 moves to .2, the full live file becomes .1, a new one takes its name.
      renameSync(names[1]!, names[0]!);
      renameSync(names[2]!, names[1]!);
      writeFileSync(names[2]!, 'fresh');
      expect(await stillNamed(names, handles)).toBe(false);
    } finally {
      await Promise.all(handles.map((handle) => handle?.close()));
    }
  });
});
