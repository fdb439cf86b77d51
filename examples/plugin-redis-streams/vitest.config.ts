import { defineConfig } from 'vitest/config'

// Runs on its own (`npm test` here) and as a project of the cdcb repository's vitest config.
export default defineConfig({
  test: {
    name: 'integration-redis',
    root: import.meta.dirname,
    include: ['test/**/*.integration.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
