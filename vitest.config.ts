import { defineConfig } from 'vitest/config';

// Unit tests sit beside their source as *.test.ts(x); cross-process tests live under test/.
export default defineConfig({
  test: {
    include: [
      'app/**/*.test.{ts,tsx}',
      'runtime-vm/**/*.test.ts',
      'scripts/**/*.test.ts',
      'test/bench/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 20_000,
  },
});
