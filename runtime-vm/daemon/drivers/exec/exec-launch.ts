// What launching an exec takes and gives, whichever way it runs: under conmon (terminal execs)
// or as the runtime's own foreground `exec` (the rest).
import type { ProcessStdio } from '../attach/process-stdio';

/** The OCI `process` object for `<runtime> exec --process`. */
export interface ExecProcessSpec {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: Record<string, string[]>;
  noNewPrivileges?: boolean;
  consoleSize?: { height: number; width: number };
}

export interface ExecLaunch {
  containerId: string;
  execId: string;
  /** Per-exec folder: process.json, pid file, logs; conmon's ctl fifo and exit record. */
  sessionDir: string;
  process: ExecProcessSpec;
  /** Connect to the process's stdio (anything the client attaches, stdin or output). */
  attach: boolean;
  /** Keep the process's stdin open for the client. */
  stdin: boolean;
}

export interface RunningExec {
  pid: number;
  /** The process's stdio, when launched with attach. */
  connection: ProcessStdio | undefined;
  /** Settles with the exit code once it is known; the output may still be draining. */
  exited: Promise<number>;
  /** Resizes the exec's terminal; without a terminal there is nothing to resize. */
  resize(height: number, width: number): Promise<void>;
}

export interface ExecLauncher {
  launch(options: ExecLaunch): Promise<RunningExec>;
  /** Frees what the launcher keeps between launches; running execs go on. */
  close?(): void;
}

/** The runtime refused to start the process (missing binary, bad user...): its own message. */
export class ExecStartError extends Error {
  override readonly name = 'ExecStartError';
}
