// Runs one build tool and fails with the tool's own words: a recipe error must say which command
// failed and what it printed, not just an exit code.
import { spawn } from 'node:child_process';

export class BuildStepError extends Error {
  override readonly name = 'BuildStepError';
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the tool's stdin. */
  input?: Buffer | string;
  /** Run under `nice` so the build leaves CPU to other work on the machine. */
  nice?: boolean;
}

export async function runTool(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const [file, argv] = options.nice ? ['nice', ['-n', '10', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) =>
      reject(new BuildStepError(`${command}: cannot start (${error.message}); is it installed?`)),
    );
    child.once('close', (code, signal) => {
      const out = Buffer.concat(stdout).toString('utf8');
      if (code === 0) {
        resolve(out);
        return;
      }
      const err = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-15).join('\n');
      const status = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(
        new BuildStepError(`${command} ${args.join(' ')} failed with ${status}:\n${err || out}`),
      );
    });
    if (child.stdin && options.input !== undefined) {
      // A tool that exits without reading its input must not crash the build with EPIPE.
      child.stdin.once('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}
