import { defineConfig } from 'vitest/config'

// Unit tests run against source; integration and end-to-end tests run the built
// packages (npm test builds first) against real servers started by services/.
// Every project's temp files go into one folder per run, removed at its end.
const tempPerRun = 'test/temp-per-run.ts'

export default defineConfig({
  test: {
    projects: [
      // A third-party plugin written from docs/writing-a-plugin.md, with its own redis-server.
      'examples/plugin-redis-streams/vitest.config.ts',
      {
        test: {
          name: 'unit',
          globalSetup: [tempPerRun],
          include: ['packages/*/test/**/*.test.{ts,tsx}', 'services/test/**/*.test.mjs'],
          exclude: [
            '**/*.integration.test.ts',
            '**/*.e2e.test.ts',
            '**/*.browser.test.ts',
            '**/node_modules/**',
          ],
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
          globalSetup: [tempPerRun],
          include: ['packages/*/test/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          globalSetup: [tempPerRun],
          include: ['packages/*/test/**/*.integration.test.ts'],
          exclude: [
            'packages/plugin-kafka/test/**',
            'packages/plugin-kafka-connect/test/**',
            'packages/plugin-sqs/test/**',
            '**/prometheus.integration.test.ts',
            'packages/plugin-cassandra/test/**',
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
          // The broker's state stays where the services harness keeps it, outside this run's temp folder.
          globalSetup: ['packages/plugin-kafka/test/global-setup.ts', tempPerRun],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // SQS's own project: its global setup starts (or reuses) ElasticMQ once for every file.
        test: {
          name: 'integration-sqs',
          include: ['packages/plugin-sqs/test/**/*.integration.test.ts'],
          exclude: ['packages/plugin-sqs/test/sqs-to-kafka.integration.test.ts', '**/node_modules/**'],
          // ElasticMQ's state stays where the services harness keeps it; the tests' files go in this run's folder.
          globalSetup: ['packages/plugin-sqs/test/global-setup.ts', tempPerRun],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The SQS → Camel → Kafka pipeline: ElasticMQ, Kafka and the bridge, each started once.
        test: {
          name: 'integration-sqs-kafka',
          include: ['packages/plugin-sqs/test/sqs-to-kafka.integration.test.ts'],
          globalSetup: ['packages/plugin-sqs/test/bridge-global-setup.ts', tempPerRun],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Kafka + Kafka Connect (Debezium) started once for the CDC pipelines of examples/.
        test: {
          name: 'integration-connect',
          include: ['packages/plugin-kafka-connect/test/**/*.integration.test.ts'],
          globalSetup: ['packages/plugin-kafka-connect/test/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Cassandra's own project: its global setup starts (or reuses) one node for all its files.
        test: {
          name: 'integration-cassandra',
          include: ['packages/plugin-cassandra/test/**/*.integration.test.ts'],
          exclude: ['packages/plugin-cassandra/test/pipeline/**', '**/node_modules/**'],
          globalSetup: ['packages/plugin-cassandra/test/global-setup.ts', tempPerRun],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Cassandra → Debezium → Kafka → JDBC sink → PostgreSQL: Kafka, a node and Connect, each started once.
        test: {
          name: 'integration-cassandra-connect',
          include: ['packages/plugin-cassandra/test/pipeline/**/*.integration.test.ts'],
          globalSetup: ['packages/plugin-cassandra/test/pipeline/global-setup.ts', tempPerRun],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
