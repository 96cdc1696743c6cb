// The warm shell that execs what berthd asks for: real processes, real pipes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WarmSpawner, type SpawnedProcess } from './warm-spawner';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', BERTH_TEST: 'warm' };
const spawners: WarmSpawner[] = [];

function newSpawner(options: { shellPath?: string } = {}): WarmSpawner {
  const spawner = new WarmSpawner({ env, refillDelayMs: 0, ...options });
  spawners.push(spawner);
  return spawner;
}

afterEach(() => {
  for (const spawner of spawners.splice(0)) spawner.close();
});

function text(readable: Readable | null): Promise<string> {
  if (!readable) return Promise.resolve('');
  let data = '';
  readable.on('data', (chunk: Buffer) => (data += chunk.toString()));
  return new Promise((resolve) => readable.once('end', () => resolve(data)));
}

/** Output and exit of a process spawned with output pipes. */
async function result(spawned: SpawnedProcess): Promise<{ stdout: string; code: number | null }> {
  const exit = new Promise<number | null>((resolve) =>
    spawned.child.once('exit', (code) => resolve(code)),
  );
  const [stdout, , code] = await Promise.all([text(spawned.stdout), text(spawned.stderr), exit]);
  return { stdout, code };
}

/** Exited: gone, or a zombie its new parent has not reaped yet. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A spawner with its shell waiting: the first spawn is direct, the shell comes after its exit. */
async function warmSpawner(): Promise<WarmSpawner> {
  const spawner = newSpawner();
  expect(spawner.warmPid).toBeUndefined();
  await result(spawner.spawn('/bin/true', [], { stdin: false, output: true }));
  await until(() => spawner.warmPid !== undefined, 'the warm shell');
  return spawner;
}

const printArgs = ['-c', 'for arg; do printf "[%s]\\n" "$arg"; done', 'sh'];
const awkwardArgs = ['two words', "it's", '"quoted"', '$HOME', '*', '', 'back\\slash', '-n', ';'];

describe('WarmSpawner', () => {
  it('runs the program from the warm shell with its arguments exactly as given', async () => {
    const spawner = await warmSpawner();
    const warmPid = spawner.warmPid;
    const spawned = spawner.spawn('/bin/sh', [...printArgs, ...awkwardArgs], {
      stdin: false,
      output: true,
    });
    expect(spawned.child.pid).toBe(warmPid);
    expect(await result(spawned)).toEqual({
      stdout: awkwardArgs.map((arg) => `[${arg}]\n`).join(''),
      code: 0,
    });
  });

  it('passes only its own environment, and exit codes and signals, through', async () => {
    const spawner = await warmSpawner();
    const spawned = spawner.spawn('/bin/sh', ['-c', 'env | sort; exit 5'], {
      stdin: false,
      output: true,
    });
    expect(await result(spawned)).toEqual({
      stdout: `BERTH_TEST=warm\nPATH=${env.PATH}\nPWD=${process.cwd()}\n`,
      code: 5,
    });
    await until(() => spawner.warmPid !== undefined, 'the next warm shell');
    const killed = spawner.spawn('/bin/sh', ['-c', 'kill -TERM $$'], {
      stdin: false,
      output: true,
    });
    const signal = await new Promise((resolve) =>
      killed.child.once('exit', (_code, signal) => resolve(signal)),
    );
    expect(signal).toBe('SIGTERM');
  });

  it('gives stdin as a pipe when asked, else /dev/null, and output likewise', async () => {
    const spawner = await warmSpawner();
    const piped = spawner.spawn('/bin/sh', ['-c', 'read -r line; echo "got $line"'], {
      stdin: true,
      output: true,
    });
    piped.stdin!.end('hello\n');
    expect(await result(piped)).toEqual({ stdout: 'got hello\n', code: 0 });

    await until(() => spawner.warmPid !== undefined, 'the next warm shell');
    const silent = spawner.spawn('/bin/readlink', ['/proc/self/fd/0'], {
      stdin: false,
      output: true,
    });
    expect(silent.stdin).toBeNull();
    expect(await result(silent)).toEqual({ stdout: '/dev/null\n', code: 0 });

    await until(() => spawner.warmPid !== undefined, 'the next warm shell');
    // Writes to /dev/null succeed: no SIGPIPE for a process whose output nobody takes.
    const detached = spawner.spawn('/bin/sh', ['-c', 'echo out; echo err >&2; exit 4'], {
      stdin: false,
      output: false,
    });
    expect([detached.stdout, detached.stderr]).toEqual([null, null]);
    const code = await new Promise((resolve) => detached.child.once('exit', resolve));
    expect(code).toBe(4);
  });

  it('spawns directly an argument with a newline, keeping its shell waiting', async () => {
    const spawner = await warmSpawner();
    const warmPid = spawner.warmPid;
    const spawned = spawner.spawn('/bin/sh', [...printArgs, 'two\nlines'], {
      stdin: false,
      output: true,
    });
    expect(spawned.child.pid).not.toBe(warmPid);
    expect(await result(spawned)).toEqual({ stdout: '[two\nlines]\n', code: 0 });
    expect(spawner.warmPid).toBe(warmPid);
  });

  it('spawns directly while its shell is taken, and without a shell', async () => {
    const spawner = await warmSpawner();
    const first = spawner.spawn('/bin/sh', ['-c', 'read -r line'], { stdin: true, output: true });
    const second = spawner.spawn('/bin/echo', ['second'], { stdin: false, output: true });
    expect(second.child.pid).not.toBe(first.child.pid);
    expect(await result(second)).toEqual({ stdout: 'second\n', code: 0 });
    first.stdin!.end('\n');
    expect((await result(first)).code).toBe(0);

    const shellless = newSpawner({ shellPath: '/no/such/shell' });
    for (let round = 0; round < 3; round++) {
      const spawned = shellless.spawn('/bin/echo', [String(round)], { stdin: false, output: true });
      expect(await result(spawned)).toEqual({ stdout: `${round}\n`, code: 0 });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(shellless.warmPid).toBeUndefined();
  });

  it('spawns directly from then on when its shell dies waiting', async () => {
    const spawner = await warmSpawner();
    process.kill(spawner.warmPid!, 'SIGKILL');
    await until(() => spawner.warmPid === undefined, 'the shell to be dropped');
    const spawned = spawner.spawn('/bin/echo', ['after'], { stdin: false, output: true });
    expect(await result(spawned)).toEqual({ stdout: 'after\n', code: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spawner.warmPid).toBeUndefined();
  });

  it('ends its shell on close', async () => {
    const spawner = await warmSpawner();
    const warmPid = spawner.warmPid!;
    spawner.close();
    await until(() => ended(warmPid), 'the shell to exit');
    expect(spawner.warmPid).toBeUndefined();
  });

  it('leaves no shell behind when its owner is killed with SIGKILL', async () => {
    // The shell waits on a pipe from its owner; the owner's death closes it.
    const script = [
      "import { WarmSpawner } from './runtime-vm/daemon/drivers/exec/warm-spawner.ts';",
      "const spawner = new WarmSpawner({ env: { PATH: '/usr/bin:/bin' }, refillDelayMs: 0 });",
      "spawner.spawn('/bin/true', [], { stdin: false, output: false });",
      'const timer = setInterval(() => {',
      '  if (spawner.warmPid) { console.log(spawner.warmPid); clearInterval(timer); }',
      '}, 5);',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const owner = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const warmPid = Number(
      (await new Promise<Buffer>((resolve) => owner.stdout.once('data', resolve))).toString(),
    );
    expect(ended(warmPid)).toBe(false);
    owner.kill('SIGKILL');
    await until(() => ended(warmPid), 'the shell to exit');
  });
});
