import { defineConfig } from 'vitest/config';

// Integration tests run real processes (berthd, registry, runc): one file at a time, so two
// suites never fight over bridges, cgroups or the 2 cores.
export default defineConfig({
  test: {
    include: ['test/api/**/*.test.ts', 'test/fixtures/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
