#!/usr/bin/env node
// berth-desktop: opens the Electron window when Electron and a display are available,
// otherwise (or with --browser) serves the same UI to a browser on 127.0.0.1.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
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

const args = process.argv.slice(2);
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) || process.platform !== 'linux';
const electron = args.includes('--browser') ? undefined : electronBinary();

if (electron && hasDisplay) {
  const child = spawn(electron, [dist('electron-main.cjs'), ...args], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  if (!args.includes('--browser')) {
    console.error(
      electron ? 'No display found: serving Berth Desktop in browser mode.' : 'Electron is not available here: serving Berth Desktop in browser mode.',
    );
  }
  await import(dist('browser-main.mjs'));
}
