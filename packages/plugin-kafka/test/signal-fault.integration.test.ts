/**
 * A `signal` fault from the config against the real broker: the services
 * harness's own Kafka SIGSTOPped through its pid file for 4 s mid-run (Kafka
 * source + Kafka sink), then continued by the fault's undo.
 */
import { readFileSync } from 'node:fs'
import type { UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { servicePaths } from '../../../services/lib/paths.mjs'
import { kafka } from '../src/index.js'
import { brokers, env, uniqueTopic } from './helpers.js'

/** The process state letter (`T` = stopped) of a pid, from /proc. */
const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]

describe.skipIf(!brokers || !env.harness)('a signal fault on the broker', () => {
  it('SIGSTOPs the broker by the harness pid file for 4 s: the fault shows, recovery is measured, nothing lost', async () => {
    const { pidFile } = servicePaths('kafka')
    const pid = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid
    const topic = uniqueTopic('sigstop')
    // A request timeout longer than the freeze: writes wait for the broker instead of failing.
    const options = { brokers, topic, partitions: 4, requestTimeout: '30s' }
    const checks: Promise<string>[] = []
    const config = await resolveConfig({
      name: 'kafka-sigstop',
      source: kafka({ ...options, deleteTopic: true }),
      sink: kafka(options),
      workers: 1,
      load: { rate: 300, duration: '12s', keys: 1000, drainTimeout: '30s', seed: 5 },
      faults: [{ name: 'broker frozen', at: '4s', for: '4s', action: { signal: 'SIGSTOP', pidFile } }],
      // Baseline: the 3 s before the freeze; this machine's p99 swings several-fold between seconds.
      recovery: { baseline: '3s', latencyFactor: 10 },
      slo: { lost: '== 0', 'recovery.time': '< 30s' },
      reporters: [],
    } satisfies UserConfig)
    const result = await runBenchmark(config, {
      reporters: [
        {
          onLog: (message) => {
            // The broker's state half a second after each fault event (a stop reaches every JVM
            // thread only once each is scheduled): stopped after the start, running after the end.
            if (/^fault "broker frozen" (started|ended)/.test(message))
              checks.push(new Promise((resolve) => setTimeout(() => resolve(stateOf(pid)), 500)))
          },
        },
      ],
    })
    expect(await Promise.all(checks)).toEqual(['T', expect.not.stringMatching(/^T$/)])
    expect(stateOf(pid)).not.toBe('T')
    const [fault] = result.faults
    expect(fault).toMatchObject({ name: 'broker frozen', error: null })
    expect(fault!.endedAt! - fault!.startedAt!).toBeGreaterThanOrEqual(3.9)
    const recovery = result.recovery.find((r) => r.label === 'fault broker frozen')!
    // Four seconds of writes waited on the frozen broker (at least half of them, on a loaded machine).
    expect(recovery.backlogMax).toBeGreaterThan(300 * 4 * 0.5)
    expect(recovery.time).not.toBeNull()
    expect(result.metrics.e2e.max).toBeGreaterThan(3000)
    expect(result.events.errors).toBe(0)
    expect(result.events.lost).toBe(0)
    expect(result.events.observed).toBe(result.events.sent)
    expect(result.status).toBe('passed')
  })
})
