// `npm start`: make sure the runtime packages exist, build, start berthd on its default socket,
// then start Berth Desktop against it. Ctrl-C stops both; containers stay up (live-restore).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { runtimePackages, missingPackages } from './runtime-packages.mjs';

const SOCKET = process.env.BERTH_SOCKET ?? '/run/berth/berthd.sock';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(
      `berth: \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}).`,
    );
    process.exit(1);
  }
}

function ensureRuntimePackages() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.error(`berth: berthd needs these packages: ${missing.join(', ')}.`);
    console.error(
      hasApt
        ? `Install them as root:\n  sudo apt-get update && sudo ${command}`
        : `Install them with your package manager (Debian names: ${missing.join(' ')}).`,
    );
    process.exit(1);
  }
  console.log(`berth: installing runtime packages berthd needs: ${missing.join(', ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function pingOnce(socketPath) {
  return new Promise((resolve) => {
    const request = get({ socketPath, path: '/_ping' }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
  });
}

async function waitForSocket(socketPath, daemon) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (daemon.exitCode !== null) throw new Error(`berthd exited with code ${daemon.exitCode}`);
    if (await pingOnce(socketPath)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`berthd did not answer on ${socketPath}`);
}

if (process.platform !== 'linux') {
  console.error(
    'berth: on macOS and Windows berthd runs in the bundled VM; see docs/ARCHITECTURE.md.',
  );
}

ensureRuntimePackages();
console.log(`berth: runtime packages present (${runtimePackages.map((p) => p.name).join(', ')})`);
run('node', ['scripts/build.mjs']);

const children = [];
let stopping = false;
const stopAll = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) if (child.exitCode === null) child.kill(signal);
};
process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

const daemon = spawn('bin/berthd', ['-H', `unix://${SOCKET}`], {
  stdio: 'inherit',
  env: { ...process.env, BERTHD_NODE: process.execPath },
});
children.push(daemon);
try {
  await waitForSocket(SOCKET, daemon);
} catch (error) {
  console.error(`berth: ${error.message}`);
  stopAll('SIGTERM');
  process.exit(1);
}
console.log(`berth: berthd is up on unix://${SOCKET} (docker -H unix://${SOCKET} ps)`);

const desktop = spawn(
  process.execPath,
  ['bin/berth-desktop.js', '--engine', `unix://${SOCKET}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
children.push(desktop);
for (const child of [daemon, desktop]) {
  child.on('exit', () => {
    stopAll('SIGTERM');
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
  });
}
