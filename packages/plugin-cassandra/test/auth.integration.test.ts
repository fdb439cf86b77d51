import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { down, up } from '../../../services/index.mjs'
import plugin from '../src/index.js'
import { testContext } from './context.js'
import { env } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = path.join(root, 'packages/cli/bin/run.js')

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * A second node of the harness's, with PasswordAuthenticator (superuser
 * cassandra/cassandra), in its own state folder and on free ports: the login
 * errors come from a real node, not from a fake driver error.
 */
describe.skipIf(!env.harness)('a node with password authentication', () => {
  let stateDir = ''
  let nodeEnv: NodeJS.ProcessEnv = {}
  let address = ''

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'cdcb-cassandra-auth-'))
    nodeEnv = {
      ...process.env,
      CDCB_SERVICES_TMP: stateDir,
      CASSANDRA_PORT: String(await freePort()),
      CASSANDRA_STORAGE_PORT: String(await freePort()),
      CASSANDRA_AUTHENTICATOR: 'PasswordAuthenticator',
    }
    // A second JVM starting on a loaded 2-core machine took 90 s once: allow it time.
    address = (await up('cassandra', { env: nodeEnv, timeoutMs: 240_000 })).address
  }, 300_000)

  afterAll(async () => {
    if (address) await down('cassandra', { env: nodeEnv })
    if (stateDir) rmSync(stateDir, { recursive: true, force: true })
  })

  it('a wrong password: one line saying the login was refused, exit 3, the password nowhere', async () => {
    const file = path.join(stateDir, 'bench.config.json')
    const options = {
      contactPoints: [address],
      username: 'cassandra',
      password: 'hunter2-secret',
      connectTimeout: '5s',
    }
    writeFileSync(
      file,
      JSON.stringify({
        source: { plugin: 'cassandra', options },
        sink: { plugin: 'cassandra', options },
        workers: 1,
        load: { rate: 50, duration: '1s' },
      }),
    )
    const started = Date.now()
    const { code, stderr } = await promisify(execFile)(
      process.execPath,
      [cli, 'run', '--config', file, '--no-tui'],
      {
        cwd: root,
        timeout: 60_000,
      },
    ).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    )
    expect(code).toBe(3)
    const lines = stderr.trim().split('\n')
    expect(lines, stderr).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        `^cdcb: source "cassandra" failed to \\w+: Cassandra at ${address} \\(dc datacenter1\\) refused the login: .* — check the username and password$`,
      ),
    )
    expect(stderr).not.toContain('hunter2-secret')
    expect((Date.now() - started) / 1000).toBeLessThan(5 + 10)
  })

  it('the right password logs in', async () => {
    const verifier = await plugin.createVerifier!(
      { contactPoints: [address], username: 'cassandra', password: 'cassandra', keyspace: 'system' },
      testContext('r1'),
    )
    await verifier.close?.()
  })
})
