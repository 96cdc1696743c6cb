import { defineConfig } from 'vitest/config';

// End-to-end: Playwright (playwright-core) drives Debian's Chromium against browser mode.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // One berthd and one dockerd for the whole run, shared by the files (see the helper).
    globalSetup: ['test/e2e/helpers/shared-engines.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
