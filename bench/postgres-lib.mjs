// Shared by the PostgreSQL benchmarks: an embedded server with an empty `bench`
// database, stopped on Ctrl-C as well as at the end.
import pg from 'pg'
import { startEmbeddedPostgres } from '../packages/plugin-postgres/dist/embedded.js'

/** Starts the server, creates the database, and returns `{ server, url }`; call `server.stop()` when done. */
export async function startBenchDatabase() {
  const server = await startEmbeddedPostgres()
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => server.stop().then(() => process.exit(130)))
  try {
    const admin = new pg.Client({ connectionString: server.url() })
    await admin.connect()
    await admin.query('CREATE DATABASE bench')
    await admin.end()
  } catch (error) {
    await server.stop()
    throw error
  }
  return { server, url: server.url('bench') }
}
