import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedServer, postgresUserIds, startEmbeddedPostgres } from '../src/embedded.js'
import { postgres } from '../src/index.js'
import { run } from './server.js'

// Cloud PostgreSQL usually insists on TLS. pg wraps the socket for it, so the
// source's lean single-row path must work on the wrapped stream too.
describe('over TLS', () => {
  let server: EmbeddedServer
  let certs: string
  beforeAll(async () => {
    certs = mkdtempSync(path.join(tmpdir(), 'cdcb-tls-'))
    const key = path.join(certs, 'server.key')
    const cert = path.join(certs, 'server.crt')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    )
    // The server refuses a key others can read; as root it runs as the postgres user, who must own it.
    chmodSync(key, 0o600)
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresUserIds()
      for (const file of [certs, key, cert]) chownSync(file, uid!, gid!)
    }
    server = await startEmbeddedPostgres({ settings: { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key } })
    const admin = new pg.Client({ connectionString: server.url() })
    await admin.connect()
    await admin.query('CREATE DATABASE tls_source')
    await admin.query('CREATE DATABASE tls_target')
    await admin.end()
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(certs, { recursive: true, force: true })
  })

  it('writes single-row on TLS connections and loses nothing', async () => {
    // pg's "no-verify": TLS without checking the self-signed certificate.
    const tls = (database: string) => `${server.url(database)}?sslmode=no-verify`
    let encrypted = 0
    const result = await run(
      {
        source: postgres({ url: tls('tls_source'), pool: 4, table: 'tls_events' }),
        // The subscription's connection string is libpq's, which has no "no-verify"; libpq prefers TLS anyway.
        sink: postgres({
          url: tls('tls_target'),
          table: 'tls_events',
          mode: 'logical',
          replicateFrom: server.url('tls_source'),
        }),
        workers: 1,
        load: { rate: 300, duration: '2s', keys: 1000 },
      },
      {
        onStart: async () => {
          await new Promise((resolve) => setTimeout(resolve, 500))
          const client = new pg.Client({ connectionString: server.url('tls_source') })
          await client.connect()
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
              WHERE a.application_name = 'cdcb' AND a.backend_type = 'client backend' AND s.ssl`,
          )
          encrypted = rows[0]!.n
          await client.end()
        },
      },
    )
    expect(encrypted).toBeGreaterThanOrEqual(4)
    expect(result.events).toMatchObject({ sent: 600, acked: 600, observed: 600, lost: 0, errors: 0 })
  })
})
