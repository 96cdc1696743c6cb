import { describe, expect, it } from 'vitest';
import { externalPackages } from './berthd-dependencies';

describe('externalPackages', () => {
  it('finds bare imports a bundle left external, not built-ins or relative files', () => {
    const bundle = [
      'import { createRequire } from "node:module";',
      'import { USocket } from "node-unix-socket";',
      "import fs from 'fs';",
      "const x = require('@scope/pkg/sub');",
      'const y = await import("lazy-thing");',
      "import './local.js';",
    ].join('\n');
    expect(externalPackages(bundle)).toEqual(['@scope/pkg', 'lazy-thing', 'node-unix-socket']);
  });

  it('ignores code where a quoted "from" merely precedes another string', () => {
    const bundle = 'const o = { ...flag("from") ? { from: flag("from") } : {} };';
    expect(externalPackages(bundle)).toEqual([]);
  });
});
