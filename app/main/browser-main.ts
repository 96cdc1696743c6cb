// Browser mode entry: `berth-desktop --browser [--listen 127.0.0.1:PORT] [--engine URL]`.
// Prints exactly one line, the URL with its token, then serves until SIGINT/SIGTERM.
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDispatcher } from './ipc/dispatcher';
import { startBrowserServer } from './ipc/browser-server';
import { parseBrowserArgs } from './cli-args';
import { createServices } from './services/index';

async function main(): Promise<void> {
  const args = parseBrowserArgs(process.argv.slice(2));
  const configDir =
    args.configDir ??
    process.env.BERTH_DESKTOP_CONFIG_DIR ??
    join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'berth-desktop');
  const { services } = createServices({ configDir, cliEngine: args.engine });
  // dist/app/browser-main.mjs → dist/renderer
  const staticDir =
    args.staticDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
  const server = await startBrowserServer({
    host: args.host,
    port: args.port,
    staticDir,
    dispatcher: createDispatcher(services),
  });
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`berth-desktop: ${(error as Error).message}\n`);
  process.exit(1);
});
