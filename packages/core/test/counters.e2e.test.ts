/**
 * An interrupted run's counters come from one moment: every event sent is acknowledged, failed or in flight,
 * and the unresolved figure is exactly what the warnings name (writes in flight + acknowledged but unseen).
 * The fixture's source acknowledges half its writes only when closed, after the worker's final counters: those
 * acks used to reach the tracker's bits and count twice (in flight and acknowledged-but-unseen).
 */
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

const FIXTURE = fileURLToPath(new URL('./fixtures/ack-on-close-plugin.mjs', import.meta.url))

/** The unresolved counts the warnings name: writes neither acknowledged nor failed, acknowledged events not yet seen. */
function namedInWarnings(result: RunResult): number {
  let sum = 0
  for (const warning of result.warnings) {
    const inFlight = /^inFlight: (\d[\d,]*) writes were neither acknowledged nor failed/.exec(warning)
    const unseen = /(\d[\d,]*) acknowledged events not yet seen are unresolved/.exec(warning)
    for (const match of [inFlight, unseen]) if (match) sum += Number(match[1]!.replace(/,/g, ''))
  }
  return sum
}

async function interruptedRun(source: { plugin: string }, sink: { plugin: string }): Promise<RunResult> {
  const config = await resolveConfig({
    source,
    sink,
    workers: 2,
    load: { rate: 400, duration: '10s', keys: 100, drainTimeout: '2s' },
    reporters: [],
  })
  const control = new RunControl()
  // Interrupted once the schedule runs, as a Ctrl-C during the load.
  const interrupt = { onRunStart: () => void setTimeout(() => control.stop('interrupted', 'SIGINT'), 800) }
  return runBenchmark(config, { control, reporters: [interrupt] })
}

function expectConsistent(result: RunResult): void {
  const e = result.events
  expect(result.status).toBe('interrupted')
  expect(e.sent).toBeGreaterThan(0)
  expect(e.acked + e.errors + e.inFlight).toBe(e.sent)
  expect(e.unresolved).toBe(namedInWarnings(result))
  // Both pipelines deliver a change only after its write is acknowledged: each event is counted once, as
  // observed, unresolved, lost or failed. An interrupted run declares nothing lost.
  expect(e.lost ?? 0).toBe(0)
  expect(e.observed + e.unresolved + (e.lost ?? 0) + e.errors).toBe(e.sent)
}

describe('counters of an interrupted run', () => {
  it('agree when acks arrive after the final counters, run after run', async () => {
    for (let i = 0; i < 3; i++) {
      const result = await interruptedRun({ plugin: FIXTURE }, { plugin: FIXTURE })
      expectConsistent(result)
      // Half the writes are acknowledged only at close and never delivered: each is unresolved once.
      expect(result.events.unresolved).toBeGreaterThan(0)
    }
  })

  it('agree on the memory pipeline with deliveries still queued', async () => {
    for (let i = 0; i < 3; i++) {
      const result = await interruptedRun(
        { plugin: 'memory', options: { delay: '3s', writeStall: { at: '0.5s', for: '5.2s' } } } as never,
        { plugin: 'memory' },
      )
      expectConsistent(result)
    }
  })
})
