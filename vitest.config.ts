import { defineConfig } from 'vitest/config'

// Unit tests run against source; integration and end-to-end tests run the built
// packages (npm test builds first) against real servers started by services/.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.{ts,tsx}'],
          exclude: [
            '**/*.integration.test.ts',
            '**/*.e2e.test.ts',
            '**/*.browser.test.ts',
            '**/node_modules/**',
          ],
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
          exclude: [
            'packages/plugin-kafka/test/**',
            '**/prometheus.integration.test.ts',
            '**/node_modules/**',
          ],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // The HTML report in a real Chromium; its global setup installs Debian's chromium when missing.
        test: {
          name: 'browser',
          include: ['packages/*/test/**/*.browser.test.ts'],
          globalSetup: ['packages/cli/test/browser-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        // A real Prometheus scraping cdcb; its global setup installs Debian's prometheus when missing.
        test: {
          name: 'integration-prometheus',
          include: ['packages/*/test/**/prometheus.integration.test.ts'],
          globalSetup: ['packages/cli/test/prometheus-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
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
