// Spawns the processes of execs from a warm shell. A spawn from berthd blocks its event loop for
// about 7 ms: Node forks berthd's whole process and waits until the child has exec'd. The warm
// shell was forked earlier, while nothing waited; it reads a program and its arguments on its fd 3
// and execs it, so the process keeps the shell's pid and pipes, and only that exec is left on the
// request's path.
//
// One shell is kept warm. It is forked again a moment after a process exits (not at once: the
// fork would compete with the exec that just began, and with the client's next request), and
// whenever it is not ready (several execs at once, or its own start failed) the spawn is direct.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** Which stdio the process gets as pipes; the rest is /dev/null. */
export interface SpawnStdio {
  stdin: boolean;
  output: boolean;
}

export interface SpawnedProcess {
  child: ChildProcess;
  /** The pipes asked for in SpawnStdio, else null. */
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
}

export interface WarmSpawnerOptions {
  env: Record<string, string>;
  /** How long after a process exits the next shell is forked. */
  refillDelayMs?: number;
  shellPath?: string;
}

/**
 * fd 3 carries the argument count, then the program and its arguments one per line, then the
 * stdio letters (i: stdin, o: output). An EOF before that (berthd closing) ends the shell.
 */
const WARM_SHELL_SCRIPT = [
  'IFS= read -r n <&3 || exit 0',
  'set --',
  'while [ "$n" -gt 0 ]; do IFS= read -r a <&3 || exit 0; set -- "$@" "$a"; n=$((n - 1)); done',
  'IFS= read -r io <&3 || exit 0',
  'exec 3<&-',
  'case $io in *i*) ;; *) exec </dev/null ;; esac',
  'case $io in *o*) ;; *) exec >/dev/null 2>&1 ;; esac',
  'exec "$@"',
].join('\n');

const DEFAULT_REFILL_DELAY_MS = 20;

type Pipes = [Socket, Socket, Socket, Socket];

export class WarmSpawner {
  private warm: ChildProcess | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  /** The shell itself failed (no /bin/sh, or it died while waiting): spawn directly from then on. */
  private broken = false;
  private closed = false;

  constructor(private readonly options: WarmSpawnerOptions) {}

  /** The shell waiting for the next spawn, if one is. */
  get warmPid(): number | undefined {
    return this.warm?.pid;
  }

  /** Starts `file args` in a session of its own, from the warm shell when one is ready. */
  spawn(file: string, args: string[], stdio: SpawnStdio): SpawnedProcess {
    const argv = [file, ...args];
    const warm = this.warm;
    // A line per argument: one with a newline in it takes the direct way.
    if (!warm || argv.some((arg) => arg.includes('\n'))) return this.spawnDirect(argv, stdio);
    this.warm = undefined;
    // Node's stdio pipes are sockets (socketpairs).
    const [stdin, stdout, stderr, control] = warm.stdio as unknown as Pipes;
    const letters = `${stdio.stdin ? 'i' : ''}${stdio.output ? 'o' : ''}`;
    control.end(`${argv.length}\n${argv.join('\n')}\n${letters}\n`);
    warm.ref();
    for (const pipe of [stdin, stdout, stderr]) pipe.ref();
    if (!stdio.stdin) stdin.destroy();
    if (!stdio.output) {
      stdout.destroy();
      stderr.destroy();
    }
    return {
      child: warm,
      stdin: stdio.stdin ? stdin : null,
      stdout: stdio.output ? stdout : null,
      stderr: stdio.output ? stderr : null,
    };
  }

  /** Ends the warm shell (its fd 3 closes, it exits) and forks no other. */
  close(): void {
    this.closed = true;
    clearTimeout(this.refillTimer);
    const warm = this.warm;
    this.warm = undefined;
    if (!warm) return;
    for (const pipe of warm.stdio) pipe?.destroy();
  }

  private spawnDirect(argv: string[], stdio: SpawnStdio): SpawnedProcess {
    const output = stdio.output ? 'pipe' : 'ignore';
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [stdio.stdin ? 'pipe' : 'ignore', output, output],
      // A session of its own: a signal to berthd's process group must not reach the execs.
      detached: true,
      env: this.options.env,
    });
    child.once('exit', () => this.scheduleRefill());
    return { child, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
  }

  private scheduleRefill(): void {
    if (this.closed || this.broken || this.warm || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      if (!this.closed && !this.broken && !this.warm) this.fork();
    }, this.options.refillDelayMs ?? DEFAULT_REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private fork(): void {
    const shell = spawn(this.options.shellPath ?? '/bin/sh', ['-c', WARM_SHELL_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: this.options.env,
    });
    shell.on('error', () => {
      if (this.warm !== shell) return;
      this.warm = undefined;
      this.broken = true;
    });
    shell.once('exit', () => {
      if (this.warm === shell) {
        // It died waiting, and not because berthd closed it.
        this.warm = undefined;
        this.broken = true;
        return;
      }
      this.scheduleRefill();
    });
    if (!shell.pid) {
      this.broken = true; // no shell to fork: its 'error' follows
      return;
    }
    // Waiting, it must not keep berthd's event loop alive; taken, it is referenced again.
    shell.unref();
    for (const pipe of shell.stdio as unknown as Pipes) pipe.unref();
    this.warm = shell;
  }
}
