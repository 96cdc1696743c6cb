// Exec through conmon, for execs with a terminal (conmon owns the pty and its resizes): conmon
// runs `runc exec --detach` and supervises the process, holding its stdio and reporting its pid
// and then its exit code on the sync pipe. Attached execs add an attach pipe and socket; the
// handshake is: start byte, `{"data":0}` on the attach pipe, connect to the attach socket, start
// byte again.
//
// Each exec gets its own session directory: conmon writes `ctl` (terminal resize) into its -b
// folder, the exit file into --persist-dir and a copy into --exit-dir named after the container,
// so sharing the container's folders would overwrite the container's own exit record.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  ConmonAttachConnection,
  resizeMessage,
  writeControlMessage,
} from '../attach/conmon-attach';
import { runcMessage } from '../runtime/conmon-runc-driver';
import { runtimeProcessEnv } from '../runtime/run-command';
import {
  ExecStartError,
  type ExecLaunch,
  type ExecLauncher,
  type RunningExec,
} from './exec-launch';

export interface ConmonExecPaths {
  conmonPath: string;
  runcPath: string;
  /** Environment the runtime needs on top of berthd's (see sealed-binary.ts). */
  runtimeEnv?: Record<string, string>;
  /** The runc --root the container was created under. */
  runcRoot: string;
  /** conmon's --socket-dir-path; the attach socket is `<dir>/<execId>/attach`. */
  socketDir: string;
}

interface SyncMessage {
  data: number;
  message?: string;
}

export class ConmonExecLauncher implements ExecLauncher {
  constructor(private readonly paths: ConmonExecPaths) {}

  async launch(options: ExecLaunch): Promise<RunningExec> {
    const { sessionDir } = options;
    const persistDir = join(sessionDir, 'persist');
    const exitDir = join(sessionDir, 'exits');
    mkdirSync(persistDir, { recursive: true });
    mkdirSync(exitDir, { recursive: true });
    const specPath = join(sessionDir, 'process.json');
    await writeFile(specPath, JSON.stringify(options.process));

    const args = [
      '--api-version', '1',
      '-c', options.containerId,
      '-u', options.execId,
      '-n', options.execId,
      '-r', this.paths.runcPath,
      '-b', sessionDir,
      '-p', join(sessionDir, 'exec.pid'),
      '-l', `k8s-file:${join(sessionDir, 'exec.log')}`,
      '--exit-dir', exitDir,
      '--socket-dir-path', this.paths.socketDir,
      '--persist-dir', persistDir,
      '--runtime-arg', `--root=${this.paths.runcRoot}`,
      '--log-level', 'error',
      '-e', '--exec-process-spec', specPath,
    ]; // prettier-ignore
    if (options.attach) args.push('--exec-attach');
    if (options.process.terminal) args.push('-t');
    if (options.stdin) args.push('-i');

    // conmon double-forks: its diagnostics go to a file, never to a pipe that dies with us.
    const diagnostics = openSync(join(sessionDir, 'conmon.log'), 'a');
    let child;
    try {
      child = spawn(this.paths.conmonPath, args, {
        stdio: ['ignore', diagnostics, diagnostics, 'pipe', 'pipe', 'pipe'],
        detached: true,
        // conmon drops an `oom` marker in its working directory: keep it in the session.
        cwd: sessionDir,
        env: runtimeProcessEnv(this.paths.runtimeEnv, {
          _OCI_SYNCPIPE: '3',
          _OCI_STARTPIPE: '4',
          ...(options.attach ? { _OCI_ATTACHPIPE: '5' } : {}),
        }),
      });
    } finally {
      closeSync(diagnostics);
    }
    child.on('error', () => undefined);
    child.unref();
    // Node types stdio as a 5-tuple; the attach pipe is the sixth entry.
    const pipes = child.stdio as unknown as Array<Readable | Writable>;
    const syncPipe = pipes[3] as Readable;
    const startPipe = pipes[4] as Writable;
    const attachPipe = pipes[5] as Readable;
    startPipe.on('error', () => undefined);
    const messages = lineMessages(syncPipe);

    let connection: ConmonAttachConnection | undefined;
    try {
      startPipe.write(Buffer.from([0]));
      if (options.attach) {
        const ready = await nextMessage(lineMessages(attachPipe), 'attach pipe');
        attachPipe.destroy();
        if (ready.data !== 0)
          throw new ExecStartError(ready.message ?? 'conmon could not set up the attach socket');
        connection = await ConmonAttachConnection.connect(
          join(this.paths.socketDir, options.execId, 'attach'),
        );
      }
      startPipe.end(Buffer.from([0]));
      const started = await nextMessage(messages, 'sync pipe');
      if (started.data <= 0) {
        const detail =
          started.message ??
          (await readFile(join(sessionDir, 'conmon.log'), 'utf8').catch(() => ''));
        throw new ExecStartError(
          runcMessage(detail) || 'the OCI runtime could not start the exec process',
        );
      }
      const exited = nextMessage(messages, 'sync pipe')
        .then(
          (message) => message.data,
          // conmon died without reporting: fall back to the exit file it may still have written.
          () => readExecExit(sessionDir).then((code) => code ?? -1),
        )
        .finally(() => syncPipe.destroy());
      const controlPath = join(sessionDir, 'ctl');
      return {
        pid: started.data,
        connection,
        exited,
        resize: (height, width) => writeControlMessage(controlPath, resizeMessage(height, width)),
      };
    } catch (error) {
      connection?.destroy();
      syncPipe.destroy();
      attachPipe.destroy();
      startPipe.destroy();
      throw error;
    }
  }
}

/** The exit code conmon recorded for an exec, if it has exited (also after a daemon restart). */
export async function readExecExit(sessionDir: string): Promise<number | undefined> {
  try {
    const text = await readFile(join(sessionDir, 'persist', 'exit'), 'utf8');
    const code = Number.parseInt(text.trim(), 10);
    return Number.isNaN(code) ? undefined : code;
  } catch {
    return undefined;
  }
}

/** conmon writes one JSON object per line on its pipes. */
async function* lineMessages(pipe: Readable): AsyncGenerator<SyncMessage> {
  let buffered = '';
  for await (const chunk of pipe) {
    buffered += (chunk as Buffer).toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      try {
        yield JSON.parse(line) as SyncMessage;
      } catch {
        yield { data: -1, message: `conmon sent an unreadable message: ${line}` };
      }
    }
  }
}

async function nextMessage(
  messages: AsyncGenerator<SyncMessage>,
  pipeName: string,
): Promise<SyncMessage> {
  const next = await messages.next();
  if (next.done) throw new ExecStartError(`conmon closed its ${pipeName} without an answer`);
  return next.value;
}
