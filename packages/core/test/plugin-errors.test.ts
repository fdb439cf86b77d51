import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, RuntimeFailure } from '@cdcb/core'
import { formatSummary, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

// Plugins named by a ./path resolve from the config's folder: here, the fixtures.
const configPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cdcb.config.ts')
const plugin = './failing-plugin.mjs'

async function run(options: Record<string, unknown>, logs: string[] = [], workers = 1) {
  const ref = { plugin, options }
  const config = await resolveConfig(
    { source: ref, sink: ref, verify: ref, workers, load: { rate: 100, duration: '300ms', keys: 10 } },
    { configPath },
  )
  return runBenchmark(config, { reporters: [{ onLog: (message) => void logs.push(message) }] })
}

async function failure(options: Record<string, unknown>): Promise<Error> {
  const error = await run(options).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(Error)
  return error as Error
}

// Before: `cdcb: Connection is closed.` with no plugin, part or phase.
describe('a plugin error says which plugin, part and phase', () => {
  it('when a sink cannot start', async () => {
    const error = await failure({ fail: 'sink.start' })
    expect(error).toBeInstanceOf(RuntimeFailure)
    expect(error.message).toBe('sink "./failing-plugin.mjs" failed to start: Connection is closed.')
  })

  it('when a source cannot open', async () => {
    expect((await failure({ fail: 'source.open' })).message).toBe(
      'source "./failing-plugin.mjs" failed to open: Connection is closed.',
    )
  })

  it('when a prepare step fails', async () => {
    expect((await failure({ fail: 'source.prepare' })).message).toBe(
      'source "./failing-plugin.mjs" failed to prepare: Connection is closed.',
    )
  })

  it('when a prepare step refuses, keeping it a config error (exit 2)', async () => {
    const error = await failure({ fail: 'source.prepare', refuse: true })
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toBe(
      'source "./failing-plugin.mjs" failed to prepare: app_orders exists and was not created by cdcb',
    )
  })

  it('when a verifier fails, in the log once (not once per worker), and the run goes on', async () => {
    const logs: string[] = []
    const result = await run({ fail: 'verifier.verify' }, logs, 3)
    expect(result.events.observed).toBe(30)
    const line = 'verifier "./failing-plugin.mjs" failed to verify: Connection is closed.'
    expect(logs.filter((l) => l === line)).toEqual([line])
  })

  // Found by a fresh user: a verifier that could not reach its server read "checked 0 keys, 0 mismatched", PASSED, exit 0.
  it('when a verifier fails, the run fails as a server failure (exit 3), saying verification did not happen', async () => {
    const ref = { plugin, options: { fail: 'verifier.verify' } }
    const config = await resolveConfig(
      {
        source: ref,
        sink: ref,
        verify: ref,
        workers: 2,
        load: { rate: 100, duration: '300ms', keys: 10 },
        slo: { verified: '== 100%', lost: '== 0' },
      },
      { configPath },
    )
    const result = await runBenchmark(config, { reporters: [] })
    const why = 'verifier "./failing-plugin.mjs" failed to verify: Connection is closed.'
    expect(result.status).toBe('failed')
    expect(result.exitCode).toBe(3)
    expect(result.reason).toBe(`runtime failure: ${why}`)
    expect(result.verification).toMatchObject({ checked: 0, mismatched: 0, error: why })
    expect(result.warnings).toContain(`verification: ${why} — the sink's final state was not checked`)
    const verified = result.slo.checks.find((c) => c.expression === 'verified == 100%')
    expect(verified).toMatchObject({ status: 'failed', passed: false, actual: null, note: `unknown: ${why}` })
    expect(result.slo.checks.find((c) => c.expression === 'lost == 0')?.status).toBe('passed')
    expect(result.slo.passed).toBe(false)
    const summary = formatSummary(result)
    expect(summary).toMatch(/— FAILED \(runtime failure: verifier/)
    expect(summary).toContain(`verification not done: ${why}`)
    expect(summary).not.toMatch(/checked 0 keys/)
  })

  // Found by a fresh user: a teardown that failed after the verifier had replaced the verifier's reason.
  it('a verifier failure and a teardown failure: the reason keeps both', async () => {
    const result = await run({ fail: 'verifier.verify', failTeardown: true })
    expect(result.exitCode).toBe(3)
    expect(result.reason).toMatch(
      /^runtime failure: verifier "\.\/failing-plugin\.mjs" failed to verify: Connection is closed\. \| source .*failed to tear down.*left behind: table t/,
    )
  })

  // Before: `worker 0 crashed: () => {} could not be cloned.` once the run had started.
  it('options that cannot reach the worker threads are a config error naming the option', async () => {
    const error = await run({ onEvent: () => {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(
      /^cdcb\.config\.ts: source\.options\.onEvent: cannot be handed to the worker threads \(a function\) — plugin options must be plain data/,
    )
  })
})

// Issue 12: a Cassandra batch of 1,000 operations with one group refused counted all 1,000 as errors.
describe('a source write that partly failed', () => {
  it('counts only the operations it names as errors, the rest as acknowledged', async () => {
    const ref = { plugin, options: { partial: true } }
    const config = await resolveConfig(
      { source: ref, sink: ref, workers: 1, load: { rate: 20_000, duration: '300ms', keys: 100 } },
      { configPath },
    )
    const result = await runBenchmark(config, { reporters: [] })
    const { events } = result
    const odd = Math.floor(events.sent / 2)
    expect((result.plugins.source as { partials: number }).partials).toBeGreaterThan(0)
    expect(events.errors).toBe(odd)
    expect(events.acked).toBe(events.sent - odd)
    expect(events.observed).toBe(events.acked)
    expect(events.lost).toBe(0)
    expect(result.errors.map((e) => [e.kind, e.count])).toEqual([['BusyConnectionError', odd]])
  })
})
