// Runs the network tools (ip, iptables, sysctl-like writes) and turns a failure into an Error whose
// message is the tool's own stderr plus the command line, so a broken rule is easy to trace.
import { execFile } from 'node:child_process';

export class NetworkCommandError extends Error {
  constructor(
    readonly commandLine: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`${commandLine}: ${stderr.trim() || `exited with ${exitCode ?? 'a signal'}`}`);
    this.name = 'NetworkCommandError';
  }
}

export type CommandRunner = (
  file: string,
  args: readonly string[],
  input?: string,
) => Promise<string>;

export const runNetworkCommand: CommandRunner = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(
            new NetworkCommandError(`${file} ${args.join(' ')}`, stderr || error.message, code),
          );
          return;
        }
        resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });

/**
 * Serializes async work: iptables and link changes race with each other (xtables lock, "file
 * exists" on concurrent bridge creation), so each kind of change runs one at a time.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
