/**
 * @cdcb/core/testing: a conformance check for plugin authors. It runs a short,
 * real benchmark through the same runtime `cdcb run` uses, with your source,
 * sink and verifier, and lists every way the pipeline fell short of a clean
 * one: loss, duplicates, reordering, write errors, corrupt records, missing
 * observations, verification mismatches.
 *
 * ```ts
 * import { checkPlugin } from '@cdcb/core/testing'
 * const report = await checkPlugin({ source: myPlugin({ url }), sink: myPlugin({ url }), verify: myPlugin({ url }) })
 * expect(report.failures).toEqual([])
 * ```
 */
import { resolveConfig } from '../config/resolve-config.js'
import type { PluginRef } from '../plugin.js'
import type { RunResult } from '../result.js'
import { runBenchmark } from '../runtime/run.js'

export interface ConformanceOptions {
  readonly source: PluginRef
  readonly sink: PluginRef
  readonly verify?: PluginRef
  /** @default 300 */
  readonly rate?: number
  /** @default "3s" */
  readonly duration?: string
  /** @default 2 */
  readonly workers?: number
  /** @default 1000 */
  readonly keys?: number
  /** @default "30s" */
  readonly drainTimeout?: string
}

export interface ConformanceReport {
  readonly passed: boolean
  /** One sentence per problem found; empty when the pipeline behaved. */
  readonly failures: readonly string[]
  readonly result: RunResult
}

/** Runs a short benchmark with the given plugins and checks that nothing was lost, doubled, reordered or wrong. */
export async function checkPlugin(options: ConformanceOptions): Promise<ConformanceReport> {
  const config = await resolveConfig(
    {
      name: 'conformance',
      source: options.source,
      sink: options.sink,
      verify: options.verify,
      workers: options.workers ?? 2,
      load: {
        rate: options.rate ?? 300,
        duration: options.duration ?? '3s',
        keys: options.keys ?? 1000,
        drainTimeout: options.drainTimeout ?? '30s',
      },
    },
    { origin: 'checkPlugin' },
  )
  const result = await runBenchmark(config)
  const failures: string[] = []
  const e = result.events
  if (e.sent === 0) failures.push('no operation was sent')
  if (e.errors > 0)
    failures.push(
      `${e.errors} writes failed: ${result.errors.map((x) => `${x.kind}: ${x.lastMessage}`).join('; ')}`,
    )
  if (e.acked + e.errors !== e.sent)
    failures.push(`${e.sent - e.acked - e.errors} writes were neither acknowledged nor failed`)
  if (e.lost > 0) failures.push(`${e.lost} acknowledged events were never observed`)
  if (e.observed < e.acked) failures.push(`observed ${e.observed} of ${e.acked} acknowledged events`)
  if (e.duplicates > 0) failures.push(`${e.duplicates} events were observed more than once`)
  if (e.outOfOrder > 0) failures.push(`${e.outOfOrder} events arrived after a later change of the same key`)
  if (e.corrupt > 0) failures.push(`${e.corrupt} records failed the content check`)
  if (result.metrics.e2e.count === 0) failures.push('no end-to-end latency was recorded')
  // Stamps a latency cannot come from: committedAt before intendedAt or after cdcb saw the change (beyond
  // the sink's declared stampResolutionMicros), or more than an hour away.
  const stamps: Array<[string, RunResult['metrics']['e2e']]> = [
    ['end-to-end', result.metrics.e2e],
    ['detect (observed − committed)', result.metrics.detect],
  ]
  for (const [label, summary] of stamps) {
    if (summary.belowZero > 0)
      failures.push(
        `${summary.belowZero} ${label} samples were below zero: committedAt is in the wrong unit (epoch microseconds expected), from a clock behind cdcb's, or coarser than the sink's stampResolutionMicros says`,
      )
    if (summary.aboveRange > 0)
      failures.push(
        `${summary.aboveRange} ${label} samples were above one hour: committedAt is in the wrong unit (epoch microseconds expected) or implausible`,
      )
  }
  if (options.verify) {
    const v = result.verification
    if (!v || v.checked === 0) failures.push('the verifier checked no key')
    else if (v.mismatched > 0)
      failures.push(
        `${v.mismatched} of ${v.checked} keys differ from the expected final state, e.g. key ${v.mismatches[0]?.key}: ${v.mismatches[0]?.problem}`,
      )
  }
  return { passed: failures.length === 0, failures, result }
}
