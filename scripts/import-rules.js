// The layering of DESIGN.md as ESLint `no-restricted-imports` blocks, one per folder.
// Kept in its own module so a unit test can lint forbidden snippets against it.

const nodeBuiltins = {
  group: [
    'node:*',
    'fs',
    'fs/*',
    'path',
    'child_process',
    'net',
    'http',
    'https',
    'os',
    'crypto',
    'stream',
    'events',
  ],
  message: 'This layer runs in the browser or is a pure contract: no Node built-ins.',
};
const electronImport = {
  group: ['electron', 'electron/*'],
  message: 'Only app/main may import electron.',
};
const daemonInternals = {
  group: ['**/runtime-vm/daemon/**', '**/runtime-vm/daemon'],
  message: 'The app talks to berthd over the Engine API, never through its internals.',
};
const appImport = { group: ['**/app/**', '**/app'], message: 'runtime-vm never imports app/*.' };
const mainImport = {
  group: ['**/main/**', '**/app/main'],
  message: 'The renderer only reaches main through the client transport.',
};
const rendererImport = {
  group: ['**/renderer/**'],
  message: 'Only the renderer imports renderer code.',
};
const vmImport = {
  group: ['**/runtime-vm/**', '**/vm/**'],
  message: 'app/shared is the contract; it imports nothing but itself.',
};
const runtimeVmFromRenderer = {
  group: ['**/runtime-vm/**'],
  message: 'The renderer never imports runtime-vm.',
};

/** Layers inside the daemon point down only: api → services → drivers → store. */
const daemonUpward = (layer, forbidden) => ({
  files: [`runtime-vm/daemon/${layer}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          appImport,
          electronImport,
          ...forbidden.map((name) => ({
            group: [`**/${name}/**`, `../${name}`, `../../${name}`],
            message: `daemon/${layer} must not import daemon/${name}: dependencies point down (api → services → drivers → store).`,
          })),
        ],
      },
    ],
  },
});

export const importRules = [
  {
    files: ['app/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            electronImport,
            daemonInternals,
            mainImport,
            rendererImport,
            vmImport,
          ],
        },
      ],
    },
  },
  {
    files: ['app/renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            electronImport,
            daemonInternals,
            mainImport,
            runtimeVmFromRenderer,
          ],
        },
      ],
    },
  },
  {
    files: ['app/main/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [daemonInternals, rendererImport] }] },
  },
  {
    files: ['runtime-vm/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [appImport, electronImport] }] },
  },
  daemonUpward('store', ['api', 'services', 'drivers']),
  daemonUpward('drivers', ['api', 'services']),
  daemonUpward('services', ['api']),
];
