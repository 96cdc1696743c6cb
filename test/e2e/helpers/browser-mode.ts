// Starts the built browser mode (dist/app/browser-main.mjs) and reads the one line it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const browserMainPath = fileURLToPath(
  new URL('../../../dist/app/browser-main.mjs', import.meta.url),
);

export interface BrowserMode {
  url: string;
  origin: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startBrowserMode(options: {
  engines: string[];
  extraArgs?: string[];
}): Promise<BrowserMode> {
  if (!existsSync(browserMainPath))
    throw new Error(`${browserMainPath} is missing: run \`npm run build\` first`);
  const configDir = mkdtempSync(join(tmpdir(), 'berth-e2e-config-'));
  const args = [browserMainPath, '--browser', '--listen', '127.0.0.1:0', '--config-dir', configDir];
  for (const engine of options.engines.slice(0, 1)) args.push('--engine', engine);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOCKER_HOST: options.engines[1] ?? '' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`browser mode printed no URL within 15 s: ${stderr}`)),
      15_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`browser mode exited with ${code}: ${stderr}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
