// The runtime's own foreground exec, with runc and with crun: real containers, real pipes.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessStdio } from '../attach/process-stdio';
import { ExecStartError, type ExecLaunch } from './exec-launch';
import { processSpec, startExecTestContainer, type ExecTestContainer } from './exec-test-container';
import { RuntimeExecLauncher } from './runtime-exec';
import { WarmSpawner } from './warm-spawner';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('runtime-exec tests skipped: creating containers needs root');
const runtimes = ['/usr/sbin/runc', '/usr/bin/crun'].filter((path) => existsSync(path));

/** Everything the process wrote, stream by stream, once its output is over. */
function collect(connection: ProcessStdio): Promise<{ stdout: string; stderr: string }> {
  const text = { stdout: '', stderr: '' };
  connection.on('output', (stream, data) => (text[stream] += data.toString()));
  return new Promise((resolve) => connection.once('end', () => resolve(text)));
}

/** Until the spawner has a shell waiting. */
async function warmedUp(spawner: WarmSpawner): Promise<void> {
  const deadline = Date.now() + 5000;
  while (spawner.warmPid === undefined) {
    if (Date.now() > deadline) throw new Error('no warm shell after 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Each case runs from the warm shell, and spawned directly (as when there is no shell to use).
const cases = runtimes.flatMap((runtime) => [
  { runtimePath: runtime, warm: true },
  { runtimePath: runtime, warm: false },
]);

describe.skipIf(!isRoot).each(cases)(
  'RuntimeExecLauncher with $runtimePath, warm $warm',
  ({ runtimePath, warm }) => {
    let container: ExecTestContainer;
    let launcher: RuntimeExecLauncher;
    let spawner: WarmSpawner;
    let execs = 0;
    const launch = (args: string[], options: Partial<ExecLaunch> = {}) =>
      launcher.launch({
        containerId: container.id,
        execId: `e${++execs}`,
        sessionDir: container.sessionDir(),
        process: processSpec(args),
        attach: true,
        stdin: false,
        ...options,
      });

    beforeAll(async () => {
      container = await startExecTestContainer('rtexec', runtimePath);
      spawner = new WarmSpawner({
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        ...(warm ? {} : { shellPath: '/no/such/shell' }),
      });
      launcher = new RuntimeExecLauncher({
        runtimePath,
        runtimeRoot: container.runtimeRoot,
        spawner,
      });
      // The first process is spawned directly; the shell is forked after it exits.
      expect(await (await launch(['sh', '-c', 'exit 0'])).exited).toBe(0);
    });

    beforeEach(async () => {
      if (warm) await warmedUp(spawner);
    });

    afterAll(async () => {
      launcher?.close();
      await container?.remove();
    });

    it(`takes its process from the warm shell: ${warm}`, async () => {
      const warmPid = spawner.warmPid;
      const exec = await launch(['sh', '-c', 'read -r line; exit 0'], { stdin: true });
      if (warm) {
        // The shell exec'd the runtime in place: the runtime's process is the shell's.
        const cmdline = readFileSync(`/proc/${warmPid}/cmdline`, 'utf8').split('\0');
        expect(cmdline.slice(0, 3)).toEqual([
          runtimePath,
          `--root=${container.runtimeRoot}`,
          expect.stringMatching(/^--log=/),
        ]);
      } else {
        expect(warmPid).toBeUndefined();
      }
      exec.connection!.endInput();
      expect(await exec.exited).toBe(0);
    });

    it('gives a detached exec /dev/null as stdio, so its writes do not fail', async () => {
      const exec = await launch(
        ['sh', '-c', 'echo out && echo err >&2 && test ! -t 0 && read -r line; test -z "$line"'],
        { attach: false },
      );
      expect(await exec.exited).toBe(0);
    });

    it('keeps stdout and stderr apart, takes stdin, and reports the exit code', async () => {
      const exec = await launch(
        ['sh', '-c', 'echo out; echo err >&2; read line; echo "got $line"; exit 3'],
        {
          stdin: true,
        },
      );
      expect(exec.pid).toBeGreaterThan(0);
      const output = collect(exec.connection!);
      await exec.connection!.write(Buffer.from('hello\n'));
      expect(await output).toEqual({ stdout: 'out\ngot hello\n', stderr: 'err\n' });
      expect(await exec.exited).toBe(3);
    });

    it('holds the output of an exec that ended before anyone listened', async () => {
      const exec = await launch(['sh', '-c', 'echo early; echo late >&2']);
      expect(await exec.exited).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await collect(exec.connection!)).toEqual({ stdout: 'early\n', stderr: 'late\n' });
    });

    it('ends the output when the last holder of the pipes ends, as dockerd does', async () => {
      const launchedAt = Date.now();
      const exec = await launch(['sh', '-c', 'sleep 0.3 & echo started']);
      expect((await collect(exec.connection!)).stdout).toBe('started\n');
      expect(Date.now() - launchedAt).toBeGreaterThanOrEqual(300);
      expect(await exec.exited).toBe(0);
    });

    it('runs detached and still reports the exit code', async () => {
      const exec = await launch(['sh', '-c', 'exit 7'], { attach: false });
      expect(exec.connection).toBeUndefined();
      expect(await exec.exited).toBe(7);
    });

    it('reports 128 + n for a process killed by signal n', async () => {
      const exec = await launch(['sh', '-c', 'kill -9 $$']);
      expect(await exec.exited).toBe(137);
    });

    it("refuses a command that does not exist with the runtime's reason", async () => {
      const started = launch(['/no/such/binary']);
      await expect(started).rejects.toBeInstanceOf(ExecStartError);
      await expect(started).rejects.toThrow(/no such file or directory|not found/i);
    });
  },
);
