/**
 * Runs killed against a user's own servers, and runs started at once: what a
 * dead run left is found, named with what it holds, and dropped; a live run's
 * objects are never touched, and a second run on the same table refuses.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { useEmbeddedPostgres } from './server.js'

const CLI = fileURLToPath(new URL('../../cli/bin/run.js', import.meta.url))
const server = useEmbeddedPostgres()
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A config file for the logical-replication pipeline on the test's server, in a fresh folder. */
function configFor(table: string, duration: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-test-'))
  dirs.push(dir)
  const file = path.join(dir, 'bench.config.json')
  writeFileSync(
    file,
    JSON.stringify({
      source: { plugin: 'postgres', options: { url: server.sourceUrl, table } },
      sink: {
        plugin: 'postgres',
        options: { url: server.targetUrl, table, mode: 'logical', replicateFrom: server.sourceUrl },
      },
      workers: 1,
      load: { rate: 200, duration, keys: 1000 },
      slo: { lost: '== 0', duplicates: '== 0' },
    }),
  )
  return file
}

interface Cli {
  child: ChildProcess
  stdout: string
  stderr: string
  done: Promise<number | null>
  /** Resolves once the run prints its second measuring line. */
  measuring: Promise<void>
}

function cdcb(args: string[]): Cli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const cli = { child, stdout: '', stderr: '' } as Cli
  cli.measuring = new Promise((resolve) => {
    child.stdout!.on('data', (chunk) => {
      cli.stdout += chunk
      if ((cli.stdout.match(/\| measure/g) ?? []).length >= 2) resolve()
    })
  })
  child.stderr!.on('data', (chunk) => {
    cli.stderr += chunk
  })
  cli.done = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  return cli
}

/** cdcb's objects on the server, by kind. */
async function cdcbObjects() {
  const source = await server.client(server.sourceUrl)
  const target = await server.client(server.targetUrl)
  const names = (rows: Array<{ name: string }>) => rows.map((row) => row.name).sort()
  return {
    slots: names(
      (await source.query("SELECT slot_name AS name FROM pg_replication_slots WHERE slot_name LIKE 'cdcb_%'"))
        .rows,
    ),
    publications: names(
      (await source.query("SELECT pubname AS name FROM pg_publication WHERE pubname LIKE 'cdcb_%'")).rows,
    ),
    subscriptions: names(
      (await target.query("SELECT subname AS name FROM pg_subscription WHERE subname LIKE 'cdcb_%'")).rows,
    ),
    tables: [
      ...names(
        (
          await source.query(
            "SELECT relname AS name FROM pg_class WHERE obj_description(oid, 'pg_class') LIKE 'cdcb:owned:%'",
          )
        ).rows,
      ),
      ...names(
        (
          await target.query(
            "SELECT relname AS name FROM pg_class WHERE obj_description(oid, 'pg_class') LIKE 'cdcb:owned:%'",
          )
        ).rows,
      ),
    ],
  }
}

const nothing = { slots: [], publications: [], subscriptions: [], tables: [] }

describe("a run killed against the user's own servers", () => {
  it('leaves objects the next run finds, names with what they hold, and drops', async () => {
    const config = configFor('killed_events', '60s')
    const killed = cdcb(['run', '--config', config])
    await killed.measuring
    const runId = /cdcb run (\w+) /.exec(killed.stdout)![1]!
    killed.child.kill('SIGKILL')
    await killed.done
    const left = await cdcbObjects()
    expect(left.slots).toEqual([`cdcb_${runId}_pipe`, `cdcb_${runId}_sink`])
    expect(left.subscriptions).toEqual([`cdcb_${runId}_pipe`])
    expect(left.tables).toEqual(['killed_events', 'killed_events'])

    // --quiet: cdcb deleting what another run made is a notice, said even then.
    const next = cdcb(['run', '--config', configFor('killed_events', '2s'), '--quiet'])
    expect(await next.done).toBe(0)
    const said = next.stdout + next.stderr
    expect(said).toMatch(
      new RegExp(
        `run ${runId} is no longer running and left: .*replication slot cdcb_${runId}_sink \\(inactive, holds [\\d.]+ \\w+ of WAL\\)`,
      ),
    )
    expect(said).toMatch(new RegExp(`subscription cdcb_${runId}_pipe`))
    expect(said).toMatch(/table public\.killed_events \(holds [\d.]+ \w+\)/)
    expect(said).toMatch(/— dropping them/)
    expect(await cdcbObjects()).toEqual(nothing)
  })

  it('SIGHUP (its terminal closed) stops it as Ctrl-C does, and it removes what it made', async () => {
    const hungUp = cdcb(['run', '--config', configFor('hungup_events', '60s')])
    await hungUp.measuring
    hungUp.child.kill('SIGHUP')
    expect(await hungUp.done).toBe(130)
    expect(hungUp.stdout).toMatch(/INTERRUPTED/)
    expect(await cdcbObjects()).toEqual(nothing)
  })

  it('cdcb clean --dry-run says what and how; cdcb clean drops it', async () => {
    const config = configFor('clean_events', '60s')
    const killed = cdcb(['run', '--config', config])
    await killed.measuring
    const runId = /cdcb run (\w+) /.exec(killed.stdout)![1]!
    killed.child.kill('SIGKILL')
    await killed.done

    const dry = cdcb(['clean', '--config', config, '--dry-run'])
    expect(await dry.done).toBe(0)
    expect(dry.stdout).toMatch(
      new RegExp(
        `run ${runId} is no longer running and left: .*to drop them: .*pg_drop_replication_slot\\('cdcb_${runId}_sink'\\)`,
      ),
    )
    expect((await cdcbObjects()).slots).toHaveLength(2)

    const clean = cdcb(['clean', '--config', config])
    expect(await clean.done).toBe(0)
    expect(clean.stdout).toMatch(/— dropping them/)
    expect(await cdcbObjects()).toEqual(nothing)
  })
})

/** Runs each statement of `sql` on the database, in order; retries one a busy walsender holds for a moment. */
async function runInOrder(database: string, sql: string): Promise<void> {
  const client = await server.client(server.server.url(database))
  for (const statement of sql.split('; ')) {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(statement)
        break
      } catch (error) {
        // 55006: a slot still active for a walsender that is ending; not a walsender a live subscription keeps.
        if ((error as { code?: string }).code !== '55006' || attempt >= 30) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }
}

describe('cdcb clean on a config that names one server twice', () => {
  it('reports each database once, prints SQL that runs in the order shown, and labels a subscription without its slot', async () => {
    const config = configFor('order_events', '60s')
    const killed = cdcb(['run', '--config', config])
    await killed.measuring
    const runId = /cdcb run (\w+) /.exec(killed.stdout)![1]!
    killed.child.kill('SIGKILL')
    await killed.done

    const dry = cdcb(['clean', '--config', config, '--dry-run'])
    expect(await dry.done).toBe(0)
    const lines = dry.stdout.split('\n').filter((line) => line.startsWith('cdcb: postgres: at '))
    const wheres = lines.map((line) => /^cdcb: postgres: at ([^,]+),/.exec(line)![1]!)
    // The source database is both the source's and the sink's replicateFrom: said once, not twice.
    expect(wheres.length, dry.stdout).toBe(new Set(wheres).size)
    expect(wheres.map((where) => where.split('/')[1])).toEqual(['cdcb_target', 'cdcb_source'])
    expect(dry.stdout).toMatch(
      new RegExp(`subscription cdcb_${runId}_pipe \\(enabled, still applying changes\\)`),
    )
    // The printed SQL, run by hand in the printed order, drops everything: the subscription before its slot.
    for (const line of lines) {
      const database = /^cdcb: postgres: at [^/]+\/([^,]+),/.exec(line)![1]!
      await runInOrder(database, /; to drop them: (.*)$/.exec(line)![1]!)
    }
    expect(await cdcbObjects()).toEqual(nothing)
  })

  it('a subscription whose slot is gone is not "still applying"', async () => {
    const config = configFor('slotless_events', '60s')
    const killed = cdcb(['run', '--config', config])
    await killed.measuring
    const runId = /cdcb run (\w+) /.exec(killed.stdout)![1]!
    killed.child.kill('SIGKILL')
    await killed.done
    // Someone drops the pipe's slot at the publisher; the subscription stays enabled and retries for ever.
    const source = await server.client(server.sourceUrl)
    const slot = `cdcb_${runId}_pipe`
    for (let attempt = 0; ; attempt++) {
      await source.query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL',
        [slot],
      )
      try {
        await source.query('SELECT pg_drop_replication_slot($1)', [slot])
        break
      } catch (error) {
        if (attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    const dry = cdcb(['clean', '--config', config, '--dry-run'])
    expect(await dry.done).toBe(0)
    expect(dry.stdout).toMatch(
      new RegExp(
        `subscription ${slot} \\(enabled, but its slot ${slot} at the publisher is gone: it applies nothing\\)`,
      ),
    )
    expect(dry.stdout).not.toMatch(/still applying/)
    const clean = cdcb(['clean', '--config', config])
    expect(await clean.done).toBe(0)
    expect(await cdcbObjects()).toEqual(nothing)
  })
})

describe('two runs at once against the same servers', () => {
  it('the second refuses in one line; the first runs on undisturbed', async () => {
    const first = cdcb([
      'run',
      '--config',
      configFor('shared_events', '60s'),
      '--out',
      path.join(tmpdir(), `cdcb-test-first-${process.pid}.json`),
    ])
    await first.measuring
    const firstId = /cdcb run (\w+) /.exec(first.stdout)![1]!
    const second = cdcb(['run', '--config', configFor('shared_events', '2s')])
    expect(await second.done).toBe(2)
    expect(second.stderr).toMatch(
      new RegExp(
        `^cdcb: source "postgres" failed to prepare: table public\\.shared_events at .* belongs to run ${firstId}, which is still running — two runs cannot share a table; give this one another name with source\\.options\\.table`,
      ),
    )
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    first.child.kill('SIGINT')
    expect(await first.done).toBe(130)
    expect(first.stdout).toMatch(/duplicates 0/)
    expect(first.stdout).toMatch(/lost 0/)
    rmSync(path.join(tmpdir(), `cdcb-test-first-${process.pid}.json`), { force: true })
    expect(await cdcbObjects()).toEqual(nothing)
  })
})
