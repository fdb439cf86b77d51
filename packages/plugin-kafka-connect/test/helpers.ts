/** Shared by the Connect tests: the servers the global setup provides, a run helper, and leftovers checks. */
import type { RunResult, UserConfig } from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'
import pg from 'pg'
import { inject } from 'vitest'

export const env = inject('connect')

export type Databases = Awaited<ReturnType<typeof startEmbeddedDatabases>>
export { startEmbeddedDatabases }

export async function run(
  config: UserConfig,
  during?: (control: RunControl, runId: string) => Promise<void>,
): Promise<{ result: RunResult; logs: string[]; notices: string[]; runId: string }> {
  const resolved = await resolveConfig({ ...config, reporters: [] })
  const logs: string[] = []
  /** Lines logged as notices: shown even under --quiet. */
  const notices: string[] = []
  const control = new RunControl()
  let duringDone: Promise<void> = Promise.resolve()
  const runId = `t${Math.random().toString(16).slice(2, 9)}`
  const result = await runBenchmark(resolved, {
    runId,
    control,
    reporters: [
      {
        onLog: (m, kind) => {
          logs.push(m)
          if (kind === 'notice') notices.push(m)
        },
        onRunStart: () => {
          if (during) duringDone = during(control, runId)
        },
      },
    ],
  })
  await duringDone
  return { result, logs, notices, runId }
}

export async function connectorNames(): Promise<string[]> {
  const response = await fetch(`${env.connectUrl}/connectors`)
  return (await response.json()) as string[]
}

/** Replication slots and publications whose name contains `part` (a run id). */
export async function leftovers(url: string, part: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const slots = await client.query(
      'SELECT slot_name AS name FROM pg_replication_slots WHERE slot_name LIKE $1',
      [`%${part}%`],
    )
    const pubs = await client.query('SELECT pubname AS name FROM pg_publication WHERE pubname LIKE $1', [
      `%${part}%`,
    ])
    return [...slots.rows.map((r) => `slot ${r.name}`), ...pubs.rows.map((r) => `publication ${r.name}`)]
  } finally {
    await client.end()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
