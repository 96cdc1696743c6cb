// Real conmon + runc: a busybox container is created through the runtime driver, and execs are
// launched into it with and without attach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConmonExecLauncher, readExecExit } from './conmon-exec';
import { ExecStartError } from './exec-launch';
import { processSpec, startExecTestContainer, type ExecTestContainer } from './exec-test-container';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('conmon-exec tests skipped: creating containers with runc needs root');

describe.skipIf(!isRoot)('ConmonExecLauncher', () => {
  let container: ExecTestContainer;
  let launcher: ConmonExecLauncher;
  let containerId = '';
  const sessionDir = () => container.sessionDir();

  beforeAll(async () => {
    container = await startExecTestContainer('exectest');
    containerId = container.id;
    launcher = new ConmonExecLauncher({
      conmonPath: '/usr/bin/conmon',
      runcPath: container.runtimePath,
      runcRoot: container.runtimeRoot,
      socketDir: container.socketDir,
    });
  });

  afterAll(async () => {
    await container?.remove();
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
