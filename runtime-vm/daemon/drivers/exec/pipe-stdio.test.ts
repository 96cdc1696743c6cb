import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PipeStdio } from './pipe-stdio';

const pipes = () => ({
  stdin: new PassThrough(),
  stdout: new PassThrough(),
  stderr: new PassThrough(),
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PipeStdio', () => {
  it('holds output and the end until someone listens, then gives them out in order', async () => {
    const { stdin, stdout, stderr } = pipes();
    const stdio = new PipeStdio(stdin, stdout, stderr);
    stdout.end('one ');
    stderr.end('two');
    await tick();
    const seen: string[] = [];
    stdio.on('output', (stream, data) => seen.push(`${stream}:${data.toString()}`));
    await new Promise<void>((resolve) => stdio.once('end', resolve));
    expect(seen).toEqual(['stdout:one ', 'stderr:two']);
  });

  it('ends only once both output pipes are closed', async () => {
    const { stdin, stdout, stderr } = pipes();
    const stdio = new PipeStdio(stdin, stdout, stderr);
    let ended = false;
    stdio.on('end', () => (ended = true));
    stdout.end();
    await tick();
    await tick();
    expect(ended).toBe(false);
    stderr.end();
    await new Promise<void>((resolve) => stdio.once('end', resolve));
  });

  it('pauses the pipes past the held limit instead of growing without bound', async () => {
    const { stdin, stdout, stderr } = pipes();
    new PipeStdio(stdin, stdout, stderr);
    for (let i = 0; i < 20; i++) stdout.write(Buffer.alloc(128 * 1024));
    await tick();
    expect(stdout.isPaused()).toBe(true);
  });

  it('stops reading while its consumer is behind, also across the release of held output', async () => {
    const { stdin, stdout, stderr } = pipes();
    const stdio = new PipeStdio(stdin, stdout, stderr);
    stdout.write('held');
    await tick();
    const seen: string[] = [];
    // The consumer falls behind on the first (held) chunk it is given.
    stdio.on('output', (_stream, data) => {
      seen.push(data.toString());
      stdio.pause();
    });
    await tick();
    expect(seen).toEqual(['held']);
    expect([stdout.isPaused(), stderr.isPaused()]).toEqual([true, true]);
    stdout.write('next');
    await tick();
    expect(seen).toEqual(['held']);
    stdio.resume();
    await tick();
    expect(seen).toEqual(['held', 'next']);
  });

  it('passes input on, closes it on endInput, and drops output after destroy', async () => {
    const { stdin, stdout, stderr } = pipes();
    const stdio = new PipeStdio(stdin, stdout, stderr);
    const seen: string[] = [];
    stdio.on('output', (_stream, data) => seen.push(data.toString()));
    await stdio.write(Buffer.from('typed'));
    expect(stdin.read()?.toString()).toBe('typed');
    stdio.endInput();
    expect(stdin.writableEnded).toBe(true);
    await tick();
    stdio.destroy();
    stdout.write('after');
    await tick();
    expect(seen).toEqual([]);
    expect(stdout.isPaused()).toBe(false);
  });
});
