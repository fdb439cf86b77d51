/**
 * The `pipeline` slot's lifecycle through the real runtime (worker threads,
 * memory pipeline), with a fixture plugin that journals its hooks.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { UserConfig } from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { afterEach, describe, expect, it } from 'vitest'

const FIXTURE = fileURLToPath(new URL('./fixtures/pipeline-plugin.mjs', import.meta.url))
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

async function run(options: Record<string, unknown>, control?: RunControl, extra: Partial<UserConfig> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdcb-pipeline-'))
  dirs.push(dir)
  const journal = path.join(dir, 'journal')
  fs.writeFileSync(journal, '')
  const config = await resolveConfig({
    source: { plugin: 'memory' },
    sink: { plugin: 'memory' },
    pipeline: { plugin: FIXTURE, options: { journal, ...options } },
    workers: 1,
    load: { rate: 200, duration: '1s', keys: 100, drainTimeout: '2s' },
    slo: { lost: '== 0' },
    reporters: [],
    ...extra,
  } satisfies UserConfig)
  const lines = () => fs.readFileSync(journal, 'utf8').trim().split('\n')
  return { running: runBenchmark(config, { control }), lines }
}

describe('pipeline slot', () => {
  it('sets up before the run, watches during it, and tears down after; events are in the result', async () => {
    const { running, lines } = await run({})
    const result = await running
    expect(result.status).toBe('passed')
    expect(result.errors).toContainEqual({
      kind: 'TaskRestarted',
      count: 1,
      lastMessage: 'task 0 of demo-source restarted',
    })
    expect(lines()).toEqual(['setup', 'watch', 'watch stopped', 'teardown'])
    expect(result.pipeline?.failed).toBe(false)
    expect(result.pipeline?.events).toEqual([
      expect.objectContaining({ kind: 'TaskRestarted', severity: 'error', t: expect.any(Number) }),
    ])
  })

  it('fails the run when the pipeline reports a failure, even with every SLO held', async () => {
    const { running } = await run({ failDuringRun: true })
    const result = await running
    expect(result.slo.passed).toBe(true)
    expect(result.status).toBe('failed')
    expect(result.exitCode).toBe(1)
    expect(result.reason).toBe('the pipeline failed: ConnectorFailed: connector demo-source was deleted')
    expect(result.errors).toContainEqual({
      kind: 'ConnectorFailed',
      count: 1,
      lastMessage: 'connector demo-source was deleted',
    })
  })

  it('a failing setup stops the run before anything is written, names the part, and still tears down', async () => {
    const { running, lines } = await run({ failSetup: true })
    await expect(running).rejects.toThrow(
      `pipeline: ${FIXTURE}: connector demo-source FAILED: org.example.Boom: no slot`,
    )
    expect(lines()).toEqual(['setup', 'teardown'])
  })

  it('runs actions by name through RunControl, and names the known ones for an unknown action', async () => {
    const control = new RunControl()
    const { running, lines } = await run({}, control)
    // setup has run once the control holds the pipeline
    await expect.poll(() => control.pipeline !== undefined).toBe(true)
    await control.pipelineAction('pause', { connector: 'demo-source' })
    await expect(control.pipelineAction('explode')).rejects.toThrow(
      'has no action "explode" (it has: pause, resume)',
    )
    const result = await running
    expect(lines()).toContain('pause {"connector":"demo-source"}')
    expect(result.pipeline?.events.map((e) => e.kind)).toContain('action')
  })

  it("a fault in the config calls the pipeline part's actions, and undoes them", async () => {
    const { running, lines } = await run({}, undefined, {
      faults: [
        { at: '0.2s', for: '0.3s', action: { pipeline: 'pause', args: { connector: 'c' }, undo: 'resume' } },
      ],
    })
    const result = await running
    expect(lines()).toEqual([
      'setup',
      'watch',
      'pause {"connector":"c"}',
      'resume',
      'watch stopped',
      'teardown',
    ])
    expect(result.pipeline?.events.filter((e) => e.kind === 'action').map((e) => e.message)).toEqual([
      'pause {"connector":"c"}',
      'resume',
    ])
  })

  it('refuses a fault naming an action the part lacks once the part exists, before the load (a plugin that lists none)', async () => {
    const { running, lines } = await run({}, undefined, {
      faults: [{ at: '0.2s', for: '0.3s', action: { pipeline: 'pasue', undo: 'resume' } }],
    })
    await expect(running).rejects.toThrow(
      /^config: faults\.0\.action\.pipeline: the .* pipeline has no action "pasue" — did you mean "pause"\? \(its actions: .*pause.*\)$/,
    )
    // Torn down, never watched: the run stopped before its load.
    expect(lines()).toEqual(['setup', 'teardown'])
  })
})
