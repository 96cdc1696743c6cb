// Exec without conmon, for execs without a terminal: berthd runs the runtime's `exec` in the
// foreground. The runtime joins the container, starts the process with berthd's pipes as its
// stdio, waits for it and exits with its status (128 + n after signal n). That skips conmon's
// start and its attach handshake, about 12 ms of every `docker exec`.
//
// Started or refused: the runtime writes the pid file once the process runs, and exits without
// one when it could not start it, its reason in its log. The launch waits for one or the other;
// the process's output is held meanwhile.
import { readFileSync, watch, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runcMessage } from '../runtime/conmon-runc-driver';
import { runtimeProcessEnv, shellExitStatus } from '../runtime/run-command';
import {
  ExecStartError,
  type ExecLaunch,
  type ExecLauncher,
  type RunningExec,
} from './exec-launch';
import { PipeStdio } from './pipe-stdio';
import { WarmSpawner } from './warm-spawner';

export interface RuntimeExecPaths {
  runtimePath: string;
  /** Environment the runtime needs (see sealed-binary.ts). */
  runtimeEnv?: Record<string, string>;
  /** The runtime's --root the container was created under. */
  runtimeRoot: string;
  /** Where the runtime's processes come from; by default a warm shell of the launcher's own. */
  spawner?: WarmSpawner;
}

export class RuntimeExecLauncher implements ExecLauncher {
  private readonly spawner: WarmSpawner;

  constructor(private readonly paths: RuntimeExecPaths) {
    this.spawner = paths.spawner ?? new WarmSpawner({ env: runtimeProcessEnv(paths.runtimeEnv) });
  }

  close(): void {
    this.spawner.close();
  }

  async launch(options: ExecLaunch): Promise<RunningExec> {
    const { sessionDir } = options;
    const specPath = join(sessionDir, 'process.json');
    const pidFile = join(sessionDir, 'exec.pid');
    const logFile = join(sessionDir, 'runtime.log');
    writeFileSync(specPath, JSON.stringify(options.process));

    const { child, stdin, stdout, stderr } = this.spawner.spawn(
      this.paths.runtimePath,
      [
        `--root=${this.paths.runtimeRoot}`,
        `--log=${logFile}`,
        'exec',
        '--pid-file', pidFile,
        '--process', specPath,
        options.containerId,
      ], // prettier-ignore
      { stdin: options.stdin, output: options.attach },
    );
    // Read from now on: Node drains the pipes of an exited child that nobody reads.
    const connection = stdout && stderr ? new PipeStdio(stdin, stdout, stderr) : undefined;
    let spawnError: Error | undefined;
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(shellExitStatus(code, signal)));
      child.once('error', (error) => {
        spawnError = error;
        resolve(-1);
      });
    });
    const pidWritten = watchPidFile(sessionDir, pidFile);
    const pid = await Promise.race([pidWritten.pid, exited.then(() => readPid(pidFile))]);
    pidWritten.close();
    if (pid === undefined) {
      connection?.destroy();
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new ExecStartError(
        runcMessage(log) ||
          spawnError?.message ||
          'the OCI runtime could not start the exec process',
      );
    }
    child.unref();
    return {
      pid,
      connection,
      exited,
      resize: () => Promise.resolve(),
    };
  }
}

/**
 * Settles with the pid once the runtime has written it (it creates the file, then writes): at
 * once if it already has, else on the folder's next events.
 */
function watchPidFile(dir: string, pidFile: string): { pid: Promise<number>; close(): void } {
  let found: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((resolve) => (found = resolve));
  const look = () => {
    const pid = readPid(pidFile);
    if (pid !== undefined) found(pid);
  };
  const watcher = watch(dir, look);
  watcher.on('error', () => undefined);
  look();
  return { pid, close: () => watcher.close() };
}

/** A few bytes: read in place, as the watch events come. */
function readPid(pidFile: string): number | undefined {
  let text = '';
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    // not written yet
  }
  const pid = Number.parseInt(text.trim(), 10);
  return pid > 0 ? pid : undefined;
}
