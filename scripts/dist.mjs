// `npm run dist`: packages Berth Desktop for Linux (AppImage + deb) with electron-builder, using the
// locally installed Electron binary. Where that binary is absent (it comes from GitHub, which
// offline machines cannot reach) it says so and exits non-zero instead of failing obscurely.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);

function electronDistDir() {
  let electronPackage;
  try {
    electronPackage = require.resolve('electron/package.json');
  } catch {
    return { reason: 'the `electron` npm package is not installed (npm install)' };
  }
  const dir = join(dirname(electronPackage), 'dist');
  const pathFile = join(dirname(electronPackage), 'path.txt');
  if (!existsSync(pathFile) || !existsSync(dir)) {
    return {
      reason:
        "the Electron binary was never downloaded: npm runs with ignore-scripts, so electron's " +
        'postinstall did not fetch it. Run `node node_modules/electron/install.js` on a machine ' +
        'that can reach GitHub, then `npm run dist` again.',
    };
  }
  const binary = join(dir, readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { reason: `the Electron binary ${binary} is missing` };
  return { dir };
}

const required = ['dist/app/electron-main.cjs', 'dist/app/preload.cjs', 'dist/renderer/index.html'];
const missing = required.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`berth dist: ${missing.join(', ')} missing: run \`npm run build\` first.`);
  process.exit(1);
}

const electron = electronDistDir();
if (!electron.dir) {
  console.error(`berth dist: cannot package Berth Desktop here: ${electron.reason}`);
  process.exit(1);
}

const builder = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js');
const result = spawnSync(
  process.execPath,
  [
    builder,
    '--linux',
    '--config',
    'electron-builder.yml',
    `-c.electronDist=${electron.dir}`,
    '--publish',
    'never',
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
