import { defineConfig } from 'vitest/config'

// Unit tests run against source; integration and end-to-end tests run the built
// packages (npm test builds first) against real servers started by services/.
export default defineConfig({
  test: {
    projects: [
      // A third-party plugin written from docs/writing-a-plugin.md, with its own redis-server.
      'examples/plugin-redis-streams/vitest.config.ts',
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.{ts,tsx}'],
          exclude: ['**/*.integration.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
        },
      },
      {
        // Type tests (*.test-d.ts) run tsc over the built packages' declarations with strict settings.
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/*/test/**/*.test-d.ts'],
            tsconfig: 'packages/core/test/types/tsconfig.json',
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['packages/*/test/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.integration.test.ts'],
          exclude: ['packages/plugin-kafka/test/**', '**/node_modules/**'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Kafka's own project so its global setup starts (or reuses) the broker only when these run.
        test: {
          name: 'integration-kafka',
          include: ['packages/plugin-kafka/test/**/*.integration.test.ts'],
          globalSetup: ['packages/plugin-kafka/test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
