/**
 * What a Debezium PostgreSQL source leaves in the database: a replication slot
 * (which keeps WAL forever once nobody reads it) and a publication. cdcb
 * refuses to register a connector whose slot or publication already exist, so
 * everything it drops after the run is something the run made.
 */
import { CdcbError, describeError } from '@cdcb/core'
import pg from 'pg'

export const POSTGRES_CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector'

/** The slot and publication one Debezium PostgreSQL connector uses, and how to reach their database. */
export interface DebeziumPostgresObjects {
  readonly connector: string
  readonly slot: string
  readonly publication: string
  /** True when Debezium makes the publication itself (it does unless `publication.autocreate.mode=disabled`). */
  readonly createsPublication: boolean
  readonly client: pg.ClientConfig
  /** host:port/db for messages, never the password. */
  readonly where: string
}

/** The Debezium defaults (`slot.name` debezium, `publication.name` dbz_publication) apply when the config leaves them out. */
export function debeziumPostgresObjects(
  connector: string,
  config: Readonly<Record<string, string>>,
): DebeziumPostgresObjects | undefined {
  if (config['connector.class'] !== POSTGRES_CONNECTOR) return undefined
  const host = config['database.hostname'] ?? 'localhost'
  const port = Number(config['database.port'] ?? 5432)
  const database = config['database.dbname'] ?? 'postgres'
  return {
    connector,
    slot: config['slot.name'] ?? 'debezium',
    publication: config['publication.name'] ?? 'dbz_publication',
    createsPublication: (config['publication.autocreate.mode'] ?? 'all_tables') !== 'disabled',
    client: {
      host,
      port,
      database,
      user: config['database.user'],
      password: config['database.password'],
      connectionTimeoutMillis: 10_000,
      application_name: 'cdcb',
    },
    where: `${host}:${port}/${database}`,
  }
}

async function withClient<T>(
  objects: DebeziumPostgresObjects,
  use: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(objects.client)
  client.on('error', () => {}) // a dropped connection surfaces as the query's error
  try {
    await client.connect()
  } catch (error) {
    throw new CdcbError(
      `connector ${objects.connector}: cannot reach its database ${objects.where} to check its slot and publication: ${describeError(error)}`,
      3,
    )
  }
  try {
    return await use(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Throws unless the slot is free to create, and the publication too when Debezium would create it (it would alter an existing one). */
export async function checkNothingExists(objects: DebeziumPostgresObjects): Promise<void> {
  await withClient(objects, async (client) => {
    const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [objects.slot])
    if (slot.rowCount) {
      throw new CdcbError(
        `connector ${objects.connector}: replication slot "${objects.slot}" already exists in ${objects.where}; cdcb drops only what a run made, so it will not share it: set "slot.name" to a free name (e.g. "cdcb_{runId}") or drop the slot`,
        2,
      )
    }
    if (!objects.createsPublication) return
    const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
      objects.publication,
    ])
    if (publication.rowCount) {
      throw new CdcbError(
        `connector ${objects.connector}: publication "${objects.publication}" already exists in ${objects.where} and Debezium would change its tables; set "publication.name" to a free name, or "publication.autocreate.mode": "disabled" to use it as it is`,
        2,
      )
    }
  })
}

/**
 * Drops the slot (waiting for the deleted connector's walsender to let go of
 * it, ending that backend after `releaseMs`) and the publication Debezium made.
 * Returns what it dropped, for the log.
 */
export async function dropObjects(objects: DebeziumPostgresObjects, releaseMs = 10_000): Promise<string[]> {
  return withClient(objects, async (client) => {
    const dropped: string[] = []
    const deadline = Date.now() + releaseMs
    for (;;) {
      const slot = await client.query<{ active_pid: number | null }>(
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [objects.slot],
      )
      if (!slot.rowCount) break
      const pid = slot.rows[0]!.active_pid
      if (pid === null) {
        await client.query('SELECT pg_drop_replication_slot($1)', [objects.slot])
        dropped.push(`slot ${objects.slot}`)
        break
      }
      // The slot is this run's (checkNothingExists), so its reader is the connector cdcb just deleted.
      if (Date.now() > deadline + releaseMs) {
        throw new CdcbError(
          `replication slot ${objects.slot} in ${objects.where} is still in use; drop it by hand`,
          3,
        )
      }
      if (Date.now() > deadline) await client.query('SELECT pg_terminate_backend($1)', [pid])
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    if (objects.createsPublication) {
      const result = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
        objects.publication,
      ])
      if (result.rowCount) {
        await client.query(`DROP PUBLICATION ${client.escapeIdentifier(objects.publication)}`)
        dropped.push(`publication ${objects.publication}`)
      }
    }
    return dropped
  })
}
