// berthd entry point: parse flags, start the daemon, stop cleanly on SIGTERM/SIGINT.
import { startDaemon } from './daemon';
import { errorMessage } from './errors';
import { createLogger } from './logger';
import { flagSpecs, loadOptions } from './config/options';
import { usageText } from './config/usage';
import { startIdleCollector } from './idle-collector';
import { dropLauncherPreload } from './launcher-env';
import { berthVersion } from './services/system/system-service';

async function main(): Promise<void> {
  // A pull runs gunzip, blob writes and layer writes for several layers at once, all on libuv's
  // threadpool (4 threads by default). Only effective before the pool's first use, i.e. here.
  process.env['UV_THREADPOOL_SIZE'] ??= '16';
  const argv = process.argv.slice(2);
  if (argv.some((arg) => arg === '-h' || arg === '--help')) {
    process.stdout.write(usageText(flagSpecs));
    return;
  }
  if (argv.some((arg) => arg === '-v' || arg === '--version')) {
    process.stdout.write(`Berth Engine version ${berthVersion}\n`);
    return;
  }
  let options;
  try {
    options = loadOptions(argv);
  } catch (error) {
    process.stderr.write(`berthd: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: options.logLevel });
  const preloaded = dropLauncherPreload(process.env);
  logger.debug('allocator', { preloaded: preloaded ?? 'none (glibc malloc)' });
  // The bundled VM's init sets this (see StartupOrder): /_ping first, the rest when ready.
  const listenBeforeInit = process.env['BERTHD_LISTEN_BEFORE_INIT'] === '1';
  const starting = startDaemon(options, logger, { listenBeforeInit });
  // Heavy work (pulls, big logs, builds) leaves V8's heap grown until something allocates again.
  const idleCollector = startIdleCollector();
  let signals = 0;
  const shutdown = (signal: string) => {
    // Like dockerd: a repeated signal is not impatience enough to skip cleanup; a third one is.
    signals++;
    if (signals === 3) {
      logger.warn('third signal: exiting without finishing shutdown', { signal });
      process.exit(1);
    }
    if (signals > 1) {
      logger.warn('already shutting down', { signal });
      return;
    }
    logger.info('shutting down', { signal });
    idleCollector.dispose();
    starting
      .then((daemon) => daemon.stop())
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error('shutdown failed', { error: errorMessage(error) });
        process.exit(1);
      });
  };
  const handleSignals = () => {
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  };
  // Listening early, requests can be in flight before start-up ends: a signal then drains them
  // once it has ended instead of killing berthd mid-request.
  if (listenBeforeInit) handleSignals();
  try {
    await starting;
  } catch (error) {
    logger.error('failed to start', { error: errorMessage(error) });
    process.exit(1);
  }
  logger.info('berthd ready', {
    hosts: options.hosts,
    dataRoot: options.dataRoot,
    pid: process.pid,
  });
  if (!listenBeforeInit) handleSignals();
}

void main();
