// Starts the built berthd (dist/berthd.mjs) through its launcher (bin/berthd, which picks the
// allocator) on a private socket, data root and exec root, for integration and e2e tests.
// Everything it creates is removed by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

// BERTH_BERTHD_BUNDLE: a bundle made by `node scripts/build.mjs --berthd-only PATH`.
export const berthdBundle =
  process.env.BERTH_BERTHD_BUNDLE ?? new URL('../../../dist/berthd.mjs', import.meta.url).pathname;
const launcher = new URL('../../../bin/berthd', import.meta.url).pathname;

export interface BerthdOptions {
  /** Extra command-line flags, e.g. ['--log-level', 'debug']. */
  args?: string[];
  env?: Record<string, string>;
  /** Flags for node itself, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile berthd. */
  nodeArgs?: string[];
  /** Written as the daemon.json berthd reads (keys as in dockerd's daemon.json). */
  config?: Record<string, unknown>;
  /** Plain-HTTP registries besides loopback ones (which berthd always reaches over HTTP). */
  insecureRegistries?: string[];
}

export interface RunningBerthd {
  socket: string;
  /** Same as `socket` (the e2e helpers use this name). */
  socketPath: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  root: string;
  readonly pid: number;
  /** Everything berthd wrote to stderr so far (JSON log lines). */
  logs(): string;
  /** A container's output read from conmon's k8s-file log (no attach or logs stream needed). */
  containerOutput(id: string): string;
  /**
   * Mount lines (/proc/self/mountinfo) under berthd's folders, but for the runtime's read-only
   * bind, which lives as long as berthd: what containers, builds and copies left mounted.
   */
  leftMounts(): string[];
  /** SIGTERM, wait for exit, then remove every directory this helper created. */
  stop(): Promise<void>;
  /** SIGKILL without cleanup of state: a crash. restart() brings it back on the same dirs. */
  kill9(): Promise<void>;
  /** Stops (SIGTERM) if running and starts again on the same socket and dirs. */
  restart(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Unmounts anything a test left mounted under `root` before the folder is removed. */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path === root || path.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    try {
      execFileSync('umount', ['-l', mount]);
    } catch {
      // already gone: nothing to release
    }
  }
}

export async function startBerthd(options: BerthdOptions = {}): Promise<RunningBerthd> {
  if (!existsSync(berthdBundle)) {
    throw new Error(
      `${berthdBundle} is missing: run \`npm run build\` before the integration tests`,
    );
  }
  // Short paths: unix socket paths (here and conmon's) must fit in 108 bytes.
  const root = mkdtempSync('/tmp/bd-');
  const socket = join(root, 'berthd.sock');
  const dataRoot = join(root, 'data');
  const execRoot = join(root, 'run');
  let child: ChildProcess | undefined;
  let logText = '';
  // An explicit --config-file must exist (as with dockerd), so the helper always writes one.
  const config = { ...options.config };
  if (options.insecureRegistries?.length)
    config['insecure-registries'] = options.insecureRegistries;
  writeFileSync(join(root, 'daemon.json'), JSON.stringify(config));

  const launch = async () => {
    const args = [
      '-H',
      `unix://${socket}`,
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '--pidfile',
      join(root, 'berthd.pid'),
      '--config-file',
      join(root, 'daemon.json'),
      ...(options.args ?? []),
    ];
    // The launcher execs node, so the child's pid is berthd's.
    const proc = spawn(launcher, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        BERTHD_BUNDLE: berthdBundle,
        BERTHD_NODE: process.execPath,
        BERTHD_NODE_ARGS: (options.nodeArgs ?? []).join(' '),
        ...options.env,
      },
    });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => {
      logText = (logText + chunk.toString()).slice(-200_000);
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`berthd exited with ${proc.exitCode}: ${logText}`);
      if (await ping(socket)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`berthd did not answer /_ping within 20 s: ${logText}`);
  };

  const terminate = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const proc = child;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await waitExit(proc, 15_000);
  };

  try {
    await launch();
  } catch (error) {
    await terminate('SIGKILL');
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    socket,
    socketPath: socket,
    host: `unix://${socket}`,
    dataRoot,
    execRoot,
    root,
    get pid() {
      return child?.pid ?? -1;
    },
    logs: () => logText,
    containerOutput: (id) => containerOutput(dataRoot, id),
    leftMounts: () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((line) => line.includes(root) && !line.includes(` ${execRoot}/bin/`)),
    async stop() {
      await terminate('SIGTERM');
      unmountUnder(root);
      rmSync(root, { recursive: true, force: true });
    },
    async kill9() {
      await terminate('SIGKILL');
    },
    async restart() {
      await terminate('SIGTERM');
      await launch();
    },
  };
}

function containerOutput(dataRoot: string, id: string): string {
  const path = join(dataRoot, 'containers', id, 'container.log');
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(3).join(' '))
    .join('\n');
}
