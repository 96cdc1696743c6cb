import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InitGoneError,
  initHasExeced,
  isRuntimeInit,
  processAlive,
  releaseCrunThroughExecFifo,
  releaseThroughExecFifo,
} from './exec-fifo';

describe('releasing init through the exec fifo', () => {
  let dir: string;
  let fifo: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-fifo-'));
    fifo = join(dir, 'exec.fifo');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('releaseThroughExecFifo', () => {
    it('releases a writer blocked on the fifo, like runc init, and removes the fifo', async () => {
      execFileSync('mkfifo', [fifo]);
      // The writer blocks in open() until a reader comes, writes one byte, then "execs" (exits).
      const writer = spawn('sh', ['-c', `printf 0 > ${fifo}; echo released`]);
      let output = '';
      writer.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      expect(await releaseThroughExecFifo(fifo, writer.pid ?? 0)).toBe(true);
      await exited;
      expect(output.trim()).toBe('released');
      expect(existsSync(fifo)).toBe(false);
    });

    it('answers false when there is no fifo (not in the created state)', async () => {
      expect(await releaseThroughExecFifo(fifo, process.pid)).toBe(false);
    });

    it('fails instead of waiting forever when the process behind the fifo is gone', async () => {
      execFileSync('mkfifo', [fifo]);
      const gone = spawn('true');
      await new Promise((resolve) => gone.on('exit', resolve));
      await expect(releaseThroughExecFifo(fifo, gone.pid ?? 0)).rejects.toBeInstanceOf(
        InitGoneError,
      );
    });
  });

  describe('releaseCrunThroughExecFifo', () => {
    it('hands one byte to a reader blocked on the fifo, like crun init, and removes the fifo', async () => {
      execFileSync('mkfifo', [fifo]);
      // The reader (crun's init) waits for its byte, then "execs".
      const reader = spawn('sh', ['-c', `od -An -tx1 < ${fifo}`]);
      let output = '';
      reader.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => reader.on('exit', resolve));
      expect(await releaseCrunThroughExecFifo(fifo, reader.pid ?? 0)).toBe(true);
      await exited;
      expect(output.trim()).toBe('00');
      expect(existsSync(fifo)).toBe(false);
    });

    it('answers false without a fifo, and fails when the process behind it is gone', async () => {
      expect(await releaseCrunThroughExecFifo(fifo, process.pid)).toBe(false);
      execFileSync('mkfifo', [fifo]);
      const gone = spawn('true');
      await new Promise((resolve) => gone.on('exit', resolve));
      await expect(releaseCrunThroughExecFifo(fifo, gone.pid ?? 0)).rejects.toBeInstanceOf(
        InitGoneError,
      );
    });
  });
});

describe('processAlive', () => {
  it('is true for this process and false for a pid that does not exist', async () => {
    expect(await processAlive(process.pid)).toBe(true);
    expect(await processAlive(2 ** 22 + 1)).toBe(false);
  });
});

describe('initHasExeced', () => {
  it("tells the runtime's init (runc's `init`, crun's `create`) from the entrypoint it execs", () => {
    expect(isRuntimeInit(['/usr/sbin/runc', 'init'])).toBe(true);
    expect(isRuntimeInit(['runc', 'init'])).toBe(true);
    expect(isRuntimeInit(['sleep', '300'])).toBe(false);
    expect(isRuntimeInit(['/bin/sh', 'init'])).toBe(false);
    expect(isRuntimeInit(['/usr/sbin/runc', 'init', 'extra'])).toBe(false);
    expect(
      isRuntimeInit(['/usr/bin/crun', '--root=/run/x', 'create', '--bundle', '/b', 'id']),
    ).toBe(true);
    expect(isRuntimeInit(['/bin/sh', 'create'])).toBe(false);
  });

  it('is true for a process running its own program, false for a pid that is gone', async () => {
    const child = spawn('sleep', ['30']);
    try {
      expect(await initHasExeced(child.pid as number, 0)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await initHasExeced(2 ** 22 + 1, 0)).toBe(false);
  });
});
