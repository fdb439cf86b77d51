/**
 * `phases[].outcome` of a run stopped early: the phase the stop cut short says `stopped`, as
 * docs/result-schema.md says, not `done` (the schedules end at once after a stop, so the load
 * phase's wait was met and read as done).
 */
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

describe('phases of a run stopped early', () => {
  it('a Ctrl-C during the load makes the load phase stopped; a run left alone ends it done', async () => {
    // Found by a fresh user: phases[].outcome said done after Ctrl-C.
    const config = await resolveConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '10s', keys: 100, drainTimeout: '2s' },
      reporters: [],
    })
    const control = new RunControl()
    const interrupt = { onRunStart: () => void setTimeout(() => control.stop('interrupted', 'SIGINT'), 800) }
    const stopped = await runBenchmark(config, { control, reporters: [interrupt] })
    expect(stopped.status).toBe('interrupted')
    expect(stopped.phases.find((p) => p.name === 'load')?.outcome).toBe('stopped')

    const whole = await runBenchmark(
      await resolveConfig({
        source: { plugin: 'memory' },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 200, duration: '1s', keys: 100, drainTimeout: '2s' },
        reporters: [],
      }),
      { reporters: [] },
    )
    expect(whole.phases.find((p) => p.name === 'load')?.outcome).toBe('done')
  })
})
