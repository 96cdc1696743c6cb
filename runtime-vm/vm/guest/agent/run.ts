// Runs a guest tool and rejects with what it printed, so the console log says why setup failed.
import { spawn } from 'node:child_process';

export async function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => out.push(chunk));
    child.once('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.once('close', (code, signal) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      if (code === 0) resolve(text);
      else reject(new Error(`${command} ${args.join(' ')}: ${signal ?? `exit ${code}`}: ${text}`));
    });
    if (child.stdin && input !== undefined) {
      child.stdin.once('error', () => undefined);
      child.stdin.end(input);
    }
  });
}
