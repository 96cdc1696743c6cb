// RuntimeDriver on conmon + runc (or crun, which takes the same commands). conmon double-forks
// away from the daemon and holds the container's stdio, k8s-file log and exit code, so
// containers outlive a daemon crash; a new daemon re-adopts them from the exit dir, the pid
// files and `runc state`.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, watch, type FSWatcher } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ConflictError, NotFoundError, SystemError } from '../../errors';
import type { OciResources } from './oci-spec';
import { createRuntimeFor, isCrun, type CreateRuntime } from './crun-hybrid';
import {
  InitGoneError,
  initHasExeced,
  releaseCrunThroughExecFifo,
  releaseThroughExecFifo,
} from './exec-fifo';
import { CommandError, runCommand, runtimeProcessEnv, shellExitStatus } from './run-command';
import type {
  RunInContainerOptions,
  RunResult,
  ExitRecord,
  RuntimeCreateOptions,
  RuntimeDriver,
  RuntimeState,
  RuntimeStatus,
} from './runtime-driver';

export interface ConmonRuncOptions {
  /** Per-boot state directory (the daemon's exec root); keep it short, sockets live below it. */
  stateDir: string;
  runcPath?: string;
  /** Environment the runtime needs on top of berthd's (see sealed-binary.ts). */
  runtimeEnv?: Record<string, string>;
  conmonPath?: string;
}

/** The OCI runtime refused to create the container; `message` is the runtime's own text. */
export class RuntimeCreateError extends Error {
  override readonly name = 'RuntimeCreateError';
}

const runtimeStatuses = new Set<RuntimeStatus>(['created', 'running', 'paused', 'stopped']);

/**
 * runc prints `time=... level=error msg="..."`; users should see only the message. crun ends its
 * messages with C's capitalized strerror, where runc (Go) writes errno texts in lower case, and
 * the docker CLI picks `run`'s exit code from those: 127 for "no such file or directory", 126
 * for "permission denied". So they are written the Go way.
 */
export function runcMessage(stderr: string): string {
  const messages = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] ?? '').replace(/\\"/g, '"').replace(/\\\\/g, '\\'),
  );
  const text = messages.length > 0 ? messages.join(': ') : stderr.trim();
  return text.replace(errnoTexts, (errnoText) => errnoText.toLowerCase());
}

const errnoTexts = /No such file or directory|Permission denied|Is a directory|Not a directory/g;

/** What a runtime says when the container is unknown: runc's words, then crun's. */
const unknownContainer = /does not exist|status`: no such file or directory/i;

export class ConmonRuncDriver implements RuntimeDriver {
  readonly name: string;
  private readonly runcPath: string;
  private readonly runtimeEnv: Record<string, string>;
  /** What conmon runs for `create`: the runtime, or crun's hybrid-host script. */
  private readonly createRuntime: CreateRuntime;
  private readonly conmonPath: string;
  private readonly runcRoot: string;
  private readonly exitDir: string;
  private readonly socketDir: string;
  private readonly watchers = new Set<FSWatcher>();
  /** Init pids of containers created by this daemon and not started yet. */
  private readonly createdPids = new Map<string, number>();

  constructor(options: ConmonRuncOptions) {
    this.runcPath = options.runcPath ?? '/usr/sbin/runc';
    this.runtimeEnv = options.runtimeEnv ?? {};
    this.name = isCrun(this.runcPath) ? 'crun' : 'runc';
    this.conmonPath = options.conmonPath ?? '/usr/bin/conmon';
    this.runcRoot = join(options.stateDir, 'runc');
    this.exitDir = join(options.stateDir, 'exits');
    this.socketDir = join(options.stateDir, 's');
    for (const dir of [this.runcRoot, this.exitDir, this.socketDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    this.createRuntime = createRuntimeFor(this.runcPath, options.stateDir);
  }

  async create(options: RuntimeCreateOptions): Promise<{ pid: number }> {
    const { id, bundleDir } = options;
    mkdirSync(this.persistDir(bundleDir), { recursive: true });
    await this.clearExit(id, bundleDir);
    const args = [
      '--api-version', '1',
      '-c', id,
      '-u', id,
      '-n', id,
      '-r', this.createRuntime.path,
      '-b', bundleDir,
      '-p', join(bundleDir, 'ctr.pid'),
      '-P', join(bundleDir, 'conmon.pid'),
      '-l', `k8s-file:${options.logPath}`,
      '--exit-dir', this.exitDir,
      '--socket-dir-path', this.socketDir,
      '--persist-dir', this.persistDir(bundleDir),
      // conmon puts runtime args before the subcommand: the script first, then the root.
      ...this.createRuntime.args.flatMap((arg) => ['--runtime-arg', arg]),
      '--runtime-arg', `--root=${this.runcRoot}`,
      '--log-level', 'error',
    ]; // prettier-ignore
    if (options.tty) args.push('-t');
    if (options.openStdin) args.push('-i');
    if (options.openStdin && options.leaveStdinOpen) args.push('--leave-stdin-open');
    if (options.logSizeMax !== undefined) args.push('--log-size-max', String(options.logSizeMax));
    // conmon outlives us: its stderr must be a file, never a pipe that breaks when we die.
    const diagnostics = openSync(join(bundleDir, 'conmon.log'), 'a');
    let child;
    try {
      child = spawn(this.conmonPath, args, {
        stdio: ['ignore', diagnostics, diagnostics, 'pipe', 'pipe'],
        detached: true,
        // conmon drops an `oom` marker in its working directory on OOM: keep it in the bundle.
        cwd: bundleDir,
        env: runtimeProcessEnv(this.runtimeEnv, { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' }),
      });
    } finally {
      closeSync(diagnostics);
    }
    const syncPipe = child.stdio[3] as Readable;
    const startPipe = child.stdio[4] as Writable;
    child.on('error', () => undefined);
    startPipe.on('error', () => undefined);
    const reply = readSyncReply(syncPipe);
    startPipe.end(Buffer.from([0]));
    child.unref();
    const message = await reply;
    if (typeof message.data === 'number' && message.data > 0) {
      this.createdPids.set(id, message.data);
      return { pid: message.data };
    }
    // The failed attempt leaves a runc container in "stopped" or nothing at all.
    await this.delete(id, { force: true }).catch(() => undefined);
    const detail = message.message ?? (await this.conmonDiagnostics(bundleDir));
    throw new RuntimeCreateError(
      runcMessage(detail) || 'the OCI runtime failed to create the container',
    );
  }

  async start(id: string): Promise<void> {
    const pid = this.createdPids.get(id);
    this.createdPids.delete(id);
    if (pid !== undefined) {
      try {
        const release = this.name === 'crun' ? releaseCrunThroughExecFifo : releaseThroughExecFifo;
        if (await release(join(this.runcRoot, id, 'exec.fifo'), pid)) return;
      } catch (error) {
        if (error instanceof InitGoneError) {
          throw new ConflictError(`container ${id}: ${error.message}`, { cause: error });
        }
        throw new SystemError(`starting container ${id}: ${describe(error)}`, { cause: error });
      }
    }
    // Not created by us (or no longer in the created state): runc checks and explains.
    await this.runc(['start', id]);
  }

  async kill(id: string, signal: string): Promise<void> {
    await this.runc(['kill', id, signal.replace(/^SIG/i, '')]);
  }

  async pause(id: string): Promise<void> {
    await this.runc(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.runc(['resume', id]);
  }

  async runInContainer(
    id: string,
    argv: string[],
    options: RunInContainerOptions,
  ): Promise<RunResult> {
    const pidFile = join(this.runcRoot, `${id}.exec-${process.hrtime.bigint()}.pid`);
    const args = [`--root=${this.runcRoot}`, 'exec', '--pid-file', pidFile];
    for (const entry of options.env ?? []) args.push('--env', entry);
    if (options.user) args.push('--user', options.user);
    if (options.cwd) args.push('--cwd', options.cwd);
    args.push(id, ...argv);
    const maxOutput = options.maxOutput ?? 4096;
    return new Promise<RunResult>((resolve) => {
      const child = spawn(this.runcPath, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this.runtimeEnv },
      });
      let output = Buffer.alloc(0);
      const collect = (chunk: Buffer) => {
        if (output.length < maxOutput)
          output = Buffer.concat([output, chunk]).subarray(0, maxOutput);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // Killing runc would orphan the process inside: kill the process itself.
        void readFile(pidFile, 'utf8')
          .then((pid) => process.kill(Number(pid), 'SIGKILL'))
          .catch(() => child.kill('SIGKILL'));
      }, options.timeoutMs);
      const finish = (exitCode: number) => {
        clearTimeout(timer);
        void rm(pidFile, { force: true });
        resolve({ exitCode, output: output.toString('utf8'), timedOut });
      };
      child.on('error', (error) => {
        output = Buffer.from(error.message);
        finish(-1);
      });
      child.on('close', (code, signal) => finish(shellExitStatus(code, signal)));
    });
  }

  async update(id: string, resources: OciResources): Promise<void> {
    await this.runc(['update', '--resources', '-', id], JSON.stringify(resources));
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      const out = await runCommand(this.runcPath, [`--root=${this.runcRoot}`, 'state', id], {
        env: this.runtimeEnv,
      });
      const state = toState(JSON.parse(out));
      // runc says `created` while the fifo exists; a daemon killed between the release and
      // removing it leaves one behind a process that already runs. Finish the release.
      if (state.status === 'created' && (await initHasExeced(state.pid))) {
        await rm(join(this.runcRoot, id, 'exec.fifo'), { force: true });
        return { ...state, status: 'running' };
      }
      return state;
    } catch (error) {
      if (error instanceof CommandError && unknownContainer.test(error.stderr)) return undefined;
      throw new SystemError(`runc state ${id}: ${describe(error)}`, { cause: error });
    }
  }

  async list(): Promise<RuntimeState[]> {
    const out = await this.runc(['list', '--format', 'json']);
    const parsed: unknown = JSON.parse(out.trim() || 'null');
    if (!Array.isArray(parsed)) return [];
    return parsed.map(toState);
  }

  async processes(id: string): Promise<number[]> {
    const out = await this.runc(['ps', '--format', 'json', id]);
    const parsed: unknown = JSON.parse(out.trim() || '[]');
    return Array.isArray(parsed) ? parsed.filter((p): p is number => typeof p === 'number') : [];
  }

  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    this.createdPids.delete(id);
    try {
      await runCommand(
        this.runcPath,
        [`--root=${this.runcRoot}`, 'delete', ...(options.force ? ['--force'] : []), id],
        { env: this.runtimeEnv },
      );
    } catch (error) {
      if (!(error instanceof CommandError && unknownContainer.test(error.stderr))) {
        throw new SystemError(`runc delete ${id}: ${describe(error)}`, { cause: error });
      }
    } finally {
      await rm(join(this.socketDir, id), { force: true });
    }
  }

  async readExit(id: string, bundleDir: string): Promise<ExitRecord | undefined> {
    const file = join(this.exitDir, id);
    let text: string;
    let exitedAt: Date;
    try {
      [text, exitedAt] = await Promise.all([
        readFile(file, 'utf8'),
        stat(file).then((s) => s.mtime),
      ]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const exitCode = Number.parseInt(text.trim(), 10);
    if (Number.isNaN(exitCode)) return undefined;
    const oomKilled = await stat(join(this.persistDir(bundleDir), 'oom')).then(
      () => true,
      () => false,
    );
    return { exitCode, oomKilled, exitedAt };
  }

  async clearExit(id: string, bundleDir: string): Promise<void> {
    await rm(join(this.exitDir, id), { force: true });
    await rm(join(this.persistDir(bundleDir), 'exit'), { force: true });
    await rm(join(this.persistDir(bundleDir), 'oom'), { force: true });
  }

  async supervisorAlive(bundleDir: string): Promise<boolean> {
    let pid: number;
    try {
      pid = Number.parseInt(await readFile(join(bundleDir, 'conmon.pid'), 'utf8'), 10);
    } catch {
      return false;
    }
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      // A zombie conmon has exited; only its exit status is left for its parent.
      return /^Name:\s+conmon$/m.test(status) && !/^State:\s+Z/m.test(status);
    } catch {
      return false;
    }
  }

  watchExits(listener: (id: string) => void): () => void {
    // conmon writes the exit file through a temporary name and a rename: every name that
    // appears is reported; the service ignores names that are not its containers.
    const watcher = watch(this.exitDir, (_event, filename) => {
      if (filename) listener(filename.toString());
    });
    watcher.on('error', () => undefined);
    this.watchers.add(watcher);
    return () => {
      watcher.close();
      this.watchers.delete(watcher);
    };
  }

  attachSocketPath(id: string): string {
    return join(this.socketDir, id, 'attach');
  }

  controlPath(bundleDir: string): string {
    return join(bundleDir, 'ctl');
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.clear();
  }

  private persistDir(bundleDir: string): string {
    return join(bundleDir, 'persist');
  }

  private async conmonDiagnostics(bundleDir: string): Promise<string> {
    return readFile(join(bundleDir, 'conmon.log'), 'utf8').catch(() => '');
  }

  private async runc(args: string[], input?: string): Promise<string> {
    try {
      return await runCommand(this.runcPath, [`--root=${this.runcRoot}`, ...args], {
        input,
        env: this.runtimeEnv,
      });
    } catch (error) {
      const id = args[args.length - 1] ?? '';
      if (error instanceof CommandError) {
        const message = runcMessage(error.stderr);
        if (unknownContainer.test(message)) throw new NotFoundError(`No such container: ${id}`);
        if (/not running|not paused|is paused|already|cannot/.test(message)) {
          throw new ConflictError(`container ${id}: ${message}`);
        }
        throw new SystemError(`runc ${args[0]}: ${message}`, { cause: error });
      }
      throw new SystemError(`runc ${args[0]}: ${describe(error)}`, { cause: error });
    }
  }
}

interface SyncReply {
  data?: number;
  message?: string;
}

/** conmon answers on the sync pipe with `{"data": pid}` or `{"data": -1, "message": ...}`. */
function readSyncReply(pipe: Readable): Promise<SyncReply> {
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const finish = (reply: SyncReply) => {
      if (settled) return;
      settled = true;
      pipe.destroy();
      resolve(reply);
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      text += chunk;
      const line = text.split('\n').find((l) => l.trim().startsWith('{'));
      if (line === undefined || !text.includes('\n')) return;
      try {
        finish(JSON.parse(line) as SyncReply);
      } catch {
        finish({ data: -1, message: `conmon sent an unreadable reply: ${line}` });
      }
    });
    pipe.on('error', () => finish({ data: -1 }));
    pipe.on('end', () => finish({ data: -1 }));
  });
}

function toState(raw: unknown): RuntimeState {
  const value = raw as { id?: unknown; status?: unknown; pid?: unknown };
  const status = String(value.status) as RuntimeStatus;
  return {
    id: String(value.id),
    status: runtimeStatuses.has(status) ? status : 'stopped',
    pid: typeof value.pid === 'number' ? value.pid : 0,
  };
}

function describe(error: unknown): string {
  if (error instanceof CommandError) return runcMessage(error.stderr);
  return error instanceof Error ? error.message : String(error);
}
