// Runs the machine's docker CLI against an engine socket, with a private, empty client config
// so the tests never read or write the user's credentials.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class DockerCli {
  readonly configDir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));

  constructor(readonly socket: string) {}

  run(args: string[], options: { input?: Buffer; timeoutMs?: number } = {}): Promise<CliResult> {
    return this.exec(args, options).then((r) => ({
      stdout: r.stdout.toString(),
      stderr: r.stderr.toString(),
      code: r.code,
    }));
  }

  /** Runs and returns stdout as bytes (`docker save` to stdout), failing on a non-zero exit. */
  async runBuffer(
    args: string[],
    options: { input?: Buffer; timeoutMs?: number } = {},
  ): Promise<Buffer> {
    const result = await this.exec(args, options);
    if (result.code !== 0)
      throw new Error(
        `docker ${args.join(' ')} exited ${result.code}: ${result.stderr.toString()}`,
      );
    return result.stdout;
  }

  private exec(
    args: string[],
    options: { input?: Buffer; timeoutMs?: number },
  ): Promise<{ stdout: Buffer; stderr: Buffer; code: number }> {
    return new Promise((resolve) => {
      const child = execFile(
        'docker',
        ['-H', `unix://${this.socket}`, ...args],
        {
          env: { ...process.env, DOCKER_CONFIG: this.configDir, DOCKER_CLI_HINTS: 'false' },
          maxBuffer: 1 << 30,
          encoding: 'buffer',
          timeout: options.timeoutMs ?? 120_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ stdout, stderr, code });
        },
      );
      if (options.input) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /** Runs and fails with the CLI's own output when the exit code is not 0. */
  async ok(args: string[], options: { input?: Buffer; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      throw new Error(
        `docker ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`,
      );
    }
    return result.stdout;
  }

  dispose(): void {
    rmSync(this.configDir, { recursive: true, force: true });
  }
}
