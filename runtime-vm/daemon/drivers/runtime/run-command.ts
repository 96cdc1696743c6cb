// Runs a short-lived helper binary (runc, mount) and turns a failure into an Error whose message
// is the tool's own stderr, so users see what runc said rather than "exit status 1".
import { execFile } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(stderr.trim() || `${command} exited with ${exitCode ?? 'a signal'}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string | undefined;
  /** Added to berthd's own environment. */
  env?: Record<string, string>;
}

export function runCommand(
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new CommandError(file, stderr || error.message, code));
          return;
        }
        resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * The environment of a process berthd starts around the runtime (conmon, the runtime itself):
 * the PATH, what the runtime needs (`runtimeEnv`), and the caller's own variables; nothing else
 * of berthd's.
 */
export function runtimeProcessEnv(
  runtimeEnv: Record<string, string> | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...extra, ...runtimeEnv };
}

/**
 * A child's exit as a shell reports it: its code, or 128 + n after signal n (SIGKILL's 9 for a
 * signal the platform does not number); -1 when Node gives neither.
 */
export function shellExitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (!signal) return -1;
  return 128 + ((osConstants.signals as Record<string, number | undefined>)[signal] ?? 9);
}
