#!/usr/bin/env node
// berth-desktop: opens the Electron window when Electron and a display are available,
// otherwise (or with --browser) serves the same UI to a browser on 127.0.0.1.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const dist = (file) => fileURLToPath(new URL(`../dist/app/${file}`, import.meta.url));
if (!existsSync(dist('browser-main.mjs'))) {
  console.error('Berth Desktop is not built: run `npm run build` first.');
  process.exit(1);
}

function electronBinary() {
  try {
    // The electron package exports the path of its binary, which may not be downloaded.
    const binaryPath = createRequire(import.meta.url)('electron');
    return typeof binaryPath === 'string' && existsSync(binaryPath) ? binaryPath : undefined;
  } catch {
    return undefined;
  }
}

/**
 * npm installs run with ignore-scripts (see .npmrc), so Electron's binary is fetched lazily here,
 * the first time a window could actually be shown. Offline, that fails fast and we fall back.
 */
function downloadElectronOnce() {
  const require = createRequire(import.meta.url);
  let installer;
  try {
    installer = require.resolve('electron/install.js');
  } catch {
    return;
  }
  console.error('Fetching the Electron binary (first start with a display)...');
  const result = spawnSync(process.execPath, [installer], { stdio: 'inherit', timeout: 120_000 });
  if (result.status !== 0) console.error('Could not fetch Electron.');
}

const args = process.argv.slice(2);
const hasDisplay =
  Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) || process.platform !== 'linux';
const wantsWindow = hasDisplay && !args.includes('--browser');
if (wantsWindow && !electronBinary()) downloadElectronOnce();
const electron = wantsWindow ? electronBinary() : undefined;

if (electron) {
  const child = spawn(electron, [dist('electron-main.cjs'), ...args], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  if (!args.includes('--browser')) {
    console.error(
      hasDisplay
        ? 'Electron is not available here: serving Berth Desktop in browser mode.'
        : 'No display found: serving Berth Desktop in browser mode.',
    );
  }
  await import(dist('browser-main.mjs'));
}
