// Proves that DESIGN.md's import rules are enforced: each forbidden import fails lint, and each
// allowed one passes, through the same ESLint configuration `npm run lint` uses.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

const forbidden: Array<[string, string, string]> = [
  ['app/renderer/features/x.tsx', "import { readFileSync } from 'node:fs';", 'no Node built-ins'],
  [
    'app/renderer/features/x.tsx',
    "import { ipcRenderer } from 'electron';",
    'Only app/main may import electron',
  ],
  [
    'app/renderer/features/x.tsx',
    "import { services } from '../../main/services/containers';",
    'client transport',
  ],
  [
    'app/main/services/x.ts',
    "import { Daemon } from '../../../runtime-vm/daemon/daemon';",
    'never through its internals',
  ],
  ['app/shared/x.ts', "import { readFile } from 'node:fs/promises';", 'no Node built-ins'],
  [
    'runtime-vm/daemon/services/x.ts',
    "import type { EngineService } from '../../../app/shared/engine';",
    'runtime-vm never imports app',
  ],
  [
    'runtime-vm/daemon/drivers/x.ts',
    "import { routes } from '../api/route';",
    'dependencies point down',
  ],
  [
    'runtime-vm/daemon/store/x.ts',
    "import { ImageService } from '../services/images/image-service';",
    'dependencies point down',
  ],
  [
    'runtime-vm/daemon/services/x.ts',
    "import { server } from '../api/server';",
    'dependencies point down',
  ],
];

const allowed: Array<[string, string]> = [
  [
    'app/renderer/features/x.tsx',
    "import type { ContainerSummary } from '../../shared/containers';",
  ],
  ['app/main/services/x.ts', "import { app } from 'electron';"],
  ['app/main/engine/x.ts', "import { QemuDriver } from '../../../runtime-vm/vm/launcher/qemu';"],
  [
    'runtime-vm/daemon/api/x.ts',
    "import { ImageService } from '../services/images/image-service';",
  ],
  ['runtime-vm/daemon/services/x.ts', "import { RuntimeDriver } from '../drivers/runtime/driver';"],
];

describe('import rules (DESIGN.md layering)', () => {
  it.each(forbidden)('%s rejects %s', async (file, source, reason) => {
    const errors = await restrictedImportErrors(file, source);
    expect(errors.join('\n')).toContain(reason);
  });

  it.each(allowed)('%s accepts %s', async (file, source) => {
    expect(await restrictedImportErrors(file, source)).toEqual([]);
  });
});
