import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ brought up to date once, before any test file runs (see the file).
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The suites start real servers and image tools; two cores, two workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
