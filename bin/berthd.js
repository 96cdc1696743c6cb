#!/usr/bin/env node
// berthd: the Berth container engine (Docker Engine API). Built by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/berthd.mjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error(`berthd is not built: run \`npm run build\` first (missing ${bundle}).`);
  process.exit(1);
}
await import(bundle);
