// Real conmon + runc: a busybox container is created through the runtime driver, and execs are
// launched into it with and without attach.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConmonRuncDriver } from '../runtime/conmon-runc-driver';
import {
  ConmonExecLauncher,
  ExecStartError,
  readExecExit,
  type ExecProcessSpec,
} from './conmon-exec';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('conmon-exec tests skipped: creating containers with runc needs root');

const processSpec = (args: string[], terminal = false): ExecProcessSpec => ({
  terminal,
  user: { uid: 0, gid: 0 },
  args,
  env: ['PATH=/bin', 'TERM=xterm'],
  cwd: '/',
});

describe.skipIf(!isRoot)('ConmonExecLauncher', () => {
  const root = isRoot ? mkdtempSync(join(tmpdir(), 'berth-exec-')) : '';
  const stateDir = join(root, 's');
  const bundleDir = join(root, 'bundle');
  const containerId = `exectest${process.pid}`;
  let runtime: ConmonRuncDriver;
  let launcher: ConmonExecLauncher;
  let sessions = 0;
  const sessionDir = () => {
    const dir = join(root, `exec${++sessions}`);
    mkdirSync(dir);
    return dir;
  };

  beforeAll(async () => {
    const rootfs = join(bundleDir, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    for (const dir of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, dir));
    cpSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    for (const applet of ['sh', 'sleep', 'echo', 'cat', 'stty'])
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    execFileSync('runc', ['spec'], { cwd: bundleDir });
    const config = JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.process.args = ['sleep', '300'];
    config.linux.namespaces = config.linux.namespaces.filter(
      (ns: { type: string }) => ns.type !== 'network',
    );
    writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(config));
    runtime = new ConmonRuncDriver({ stateDir });
    await runtime.create({
      id: containerId,
      bundleDir,
      logPath: join(bundleDir, 'ctr.log'),
      tty: false,
      openStdin: false,
    });
    await runtime.start(containerId);
    launcher = new ConmonExecLauncher({
      conmonPath: '/usr/bin/conmon',
      runcPath: '/usr/sbin/runc',
      runcRoot: join(stateDir, 'runc'),
      socketDir: join(stateDir, 's'),
    });
  });

  afterAll(async () => {
    await runtime?.delete(containerId, { force: true }).catch(() => undefined);
    runtime?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('streams output, takes stdin, and reports the exit code after the output', async () => {
    const dir = sessionDir();
    const exec = await launcher.launch({
      containerId,
      execId: `e${process.pid}a`,
      sessionDir: dir,
      process: processSpec([
        'sh',
        '-c',
        'echo out; echo err >&2; read line; echo "got $line"; exit 3',
      ]),
      attach: true,
      stdin: true,
    });
    expect(exec.pid).toBeGreaterThan(0);
    const output: string[] = [];
    exec.connection!.on('output', (stream, data) => output.push(`${stream}:${data.toString()}`));
    const ended = new Promise<void>((resolve) => exec.connection!.once('end', resolve));
    await exec.connection!.write(Buffer.from('hello\n'));
    await ended;
    expect(await exec.exited).toBe(3);
    const text = output.join('');
    expect(text).toContain('stdout:out');
    expect(text).toContain('stderr:err');
    expect(text).toContain('got hello');
    expect(await readExecExit(dir)).toBe(3);
  });

  it('runs detached and still records the exit code', async () => {
    const dir = sessionDir();
    const exec = await launcher.launch({
      containerId,
      execId: `e${process.pid}b`,
      sessionDir: dir,
      process: processSpec(['sh', '-c', 'exit 7']),
      attach: false,
      stdin: false,
    });
    expect(exec.connection).toBeUndefined();
    expect(await exec.exited).toBe(7);
  });

  it('gives a terminal of the requested size', async () => {
    const dir = sessionDir();
    const spec = {
      ...processSpec(['stty', 'size'], true),
      consoleSize: { height: 33, width: 101 },
    };
    const exec = await launcher.launch({
      containerId,
      execId: `e${process.pid}c`,
      sessionDir: dir,
      process: spec,
      attach: true,
      stdin: false,
    });
    let text = '';
    exec.connection!.on('output', (_stream, data) => (text += data.toString()));
    await new Promise<void>((resolve) => exec.connection!.once('end', resolve));
    expect(await exec.exited).toBe(0);
    expect(text.trim()).toBe('33 101');
  });

  it("reports runc's reason when the command does not exist", async () => {
    const dir = sessionDir();
    const launch = launcher.launch({
      containerId,
      execId: `e${process.pid}d`,
      sessionDir: dir,
      process: processSpec(['/no/such/binary']),
      attach: true,
      stdin: false,
    });
    await expect(launch).rejects.toBeInstanceOf(ExecStartError);
    await expect(launch).rejects.toThrow(/no such file or directory|not found/);
  });
});
