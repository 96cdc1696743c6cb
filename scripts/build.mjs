// Builds everything `npm start` and the tests run: berthd, the app's main process (Electron and
// browser mode), the preload, and the renderer. One esbuild pass per Node entry, Vite for the UI.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { rmSync } from 'node:fs';

const nodeEntries = [
  // berthd, the Engine API daemon
  { in: 'runtime-vm/daemon/main.ts', out: 'dist/berthd.mjs', format: 'esm' },
  // Berth Desktop in browser mode (also what `berth-desktop` runs without Electron)
  { in: 'app/main/browser-main.ts', out: 'dist/app/browser-main.mjs', format: 'esm' },
  // Berth Desktop under Electron: CommonJS, as Electron's main and preload expect
  { in: 'app/main/electron-main.ts', out: 'dist/app/electron-main.cjs', format: 'cjs' },
  { in: 'app/main/preload/preload.ts', out: 'dist/app/preload.cjs', format: 'cjs' },
];

// ESM bundles that pull CommonJS dependencies (dockerode, ssh2) need a real `require`, and
// ssh2 reads `__dirname` while it loads.
const esmRequireBanner = [
  "import { createRequire as __berthCreateRequire } from 'node:module';",
  "import { fileURLToPath as __berthFileURLToPath } from 'node:url';",
  "import { dirname as __berthDirname } from 'node:path';",
  'const require = __berthCreateRequire(import.meta.url);',
  'const __filename = __berthFileURLToPath(import.meta.url);',
  'const __dirname = __berthDirname(__filename);',
].join(' ');

// `--berthd-only PATH` bundles just berthd to PATH, so people changing the daemon can test their
// own bundle (BERTH_BERTHD_BUNDLE) while others keep using dist/.
const berthdOnlyFlag = process.argv.indexOf('--berthd-only');
const berthdOnlyPath = berthdOnlyFlag >= 0 ? process.argv[berthdOnlyFlag + 1] : undefined;
if (berthdOnlyFlag >= 0 && !berthdOnlyPath) throw new Error('--berthd-only needs an output path');
const entries = berthdOnlyPath ? [{ ...nodeEntries[0], out: berthdOnlyPath }] : nodeEntries;

if (!berthdOnlyPath) rmSync('dist', { recursive: true, force: true });
await Promise.all(
  entries.map((entry) =>
    esbuild({
      entryPoints: [entry.in],
      outfile: entry.out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: entry.format,
      sourcemap: true,
      // Native addons stay in node_modules: conmon's attach socket needs node-unix-socket.
      external: ['electron', 'cpu-features', '*.node', 'node-unix-socket'],
      banner: entry.format === 'esm' ? { js: esmRequireBanner } : undefined,
      logLevel: 'warning',
    }),
  ),
);
if (berthdOnlyPath) {
  console.log(`built ${berthdOnlyPath}`);
} else {
  await viteBuild({ configFile: 'app/renderer/vite.config.ts', logLevel: 'warn' });
  console.log('built dist/');
}
