/**
 * @cdcb/core/testing: the conformance kit for plugin authors. It runs a short,
 * real benchmark through the same runtime `cdcb run` uses, with your source,
 * sink and verifier wrapped in a probe that watches every call, and lists in one
 * sentence each every way the plugin fell short: loss, duplicates, events
 * reordered within a key, write errors, corrupt records, observations of seqs
 * never written, stamps in the wrong unit or with an implausible offset, negative
 * or out-of-range latency samples, a sink that was not ready when `start`
 * resolved, a verifier that did not notice a tampered key, and objects left
 * behind after teardown. What it could not check (no `tamper` or `leftovers`
 * hook) it says in `unchecked`.
 *
 * ```ts
 * import { checkPlugin } from '@cdcb/core/testing'
 * const report = await checkPlugin({ source: myPlugin({ url }), sink: myPlugin({ url }), verify: myPlugin({ url }) })
 * expect(report.failures).toEqual([])
 * ```
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { importPlugin } from '../config/plugin-loader.js'
import { type ResolvedPlugin, resolveConfig } from '../config/resolve-config.js'
import type { PluginRef, RunContext, Slot } from '../plugin.js'
import type { RunResult } from '../result.js'
import { runBenchmark } from '../runtime/run.js'
import { formatMicros } from '../units.js'
import type { ProbeOptions } from './probe.js'
import { type Anomaly, createProbeBuffers, ProbeRecord, TAMPER } from './probe-record.js'

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
  /** Few keys, so each key changes several times and reordering within a key shows. @default 40 */
  readonly keys?: number
  /** @default "30s" */
  readonly drainTimeout?: string
  /** Folder that plugin names such as `./my-plugin.mjs` resolve from. @default process.cwd() */
  readonly root?: string
}

export interface ConformanceReport {
  readonly passed: boolean
  /** One sentence per problem found; empty when the plugin behaved. */
  readonly failures: readonly string[]
  /** One sentence per check the kit could not make (a missing optional hook); these do not fail. */
  readonly unchecked: readonly string[]
  /** Messages the run logged (plugin logs, plugin errors). */
  readonly logs: readonly string[]
  /** The run's result; `verification` leaves out the key the kit tampered with. */
  readonly result: RunResult
}

const PROBE_URL = new URL('./probe.js', import.meta.url).href

/** Runs a short benchmark with the given plugins and checks each way a plugin can measure wrongly. */
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
        keys: options.keys ?? 40,
        drainTimeout: options.drainTimeout ?? '30s',
      },
    },
    { origin: 'checkPlugin', configPath: path.join(options.root ?? process.cwd(), 'checkPlugin') },
  )
  const buffers = createProbeBuffers(config.load.schedule.plannedOperations)
  const probed = (plugin: ResolvedPlugin): ResolvedPlugin => ({
    name: plugin.name,
    moduleUrl: PROBE_URL,
    options: { inner: plugin, record: buffers } satisfies ProbeOptions,
  })
  const logs: string[] = []
  const runId = randomBytes(4).toString('hex')
  const result = await runBenchmark(
    {
      ...config,
      source: probed(config.source),
      sink: probed(config.sink),
      verify: config.verify && probed(config.verify),
    },
    { runId, reporters: [{ onLog: (message) => void logs.push(message) }] },
  )
  const record = new ProbeRecord(buffers)
  const failures: string[] = []
  const unchecked: string[] = []

  const e = result.events
  if (e.sent === 0) failures.push('no operation was sent')
  if (e.errors > 0)
    failures.push(
      `${e.errors} writes failed: ${result.errors.map((x) => `${x.kind}: ${x.lastMessage}`).join('; ')}`,
    )
  if (e.acked + e.errors !== e.sent)
    failures.push(`${e.sent - e.acked - e.errors} writes were neither acknowledged nor failed`)
  failures.push(...lossFailures(record, e.lost ?? 0))
  if (e.duplicates > 0) failures.push(`${e.duplicates} events were observed more than once`)
  if (e.outOfOrder > 0)
    failures.push(
      `${e.outOfOrder} events arrived after a later change of the same key: events were reordered within a key — keep each key's changes in seq order (route and read by key)`,
    )
  if (e.corrupt > 0) failures.push(`${e.corrupt} records failed the content check`)
  failures.push(...anomalyFailures(record))

  // Stamps a latency cannot come from: committedAt before intendedAt or after cdcb saw the change (beyond
  // the sink's declared stampResolutionMicros), or more than an hour away.
  const stamps: Array<[string, RunResult['metrics']['e2e']]> = [
    ['end-to-end', result.metrics.e2e],
    ['detect (observed − committed)', result.metrics.detect],
  ]
  // The probe names a bad stamp more precisely (its unit, its offset); these catch what it cannot see.
  const probeFoundStamps = STAMP_ANOMALIES.some((a) => record.count(a) > 0)
  // Samples that cannot be latencies stay out of the histogram, so an empty one is no news then.
  if (result.metrics.e2e.count === 0 && !probeFoundStamps) failures.push('no end-to-end latency was recorded')
  for (const [label, summary] of probeFoundStamps ? [] : stamps) {
    if (summary.belowZero > 0)
      failures.push(
        `${summary.belowZero} ${label} samples were below zero: committedAt is in the wrong unit (epoch microseconds expected), from a clock behind cdcb's, or coarser than the sink's stampResolutionMicros says`,
      )
    if (summary.aboveRange > 0)
      failures.push(
        `${summary.aboveRange} ${label} samples were above one hour: committedAt is in the wrong unit (epoch microseconds expected) or implausible`,
      )
  }

  if (config.verify) {
    const tampered = Atomics.load(record.tamper, TAMPER.tried)
    const detected = Atomics.load(record.tamper, TAMPER.detected)
    if (Atomics.load(record.tamper, TAMPER.noHook) > 0)
      unchecked.push(
        `could not check that the verifier notices a changed row: verifier "${config.verify.name}" has no tamper(key) hook`,
      )
    else if (tampered > detected)
      failures.push(
        `the verifier did not notice that key ${Atomics.load(record.tamper, TAMPER.key)} was changed behind its back (tamper): it must compare each row's content with the expected seq, not only count rows`,
      )
    const v = result.verification
    if (!v || v.checked === 0) failures.push('the verifier checked no key')
    else if (v.mismatched > 0)
      failures.push(
        `${v.mismatched} of ${v.checked} keys differ from the expected final state, e.g. key ${v.mismatches[0]?.key}: ${v.mismatches[0]?.problem}`,
      )
  }

  const leftovers = await findLeftovers(config, runId)
  failures.push(...leftovers.failures)
  unchecked.push(...leftovers.unchecked)
  return { passed: failures.length === 0, failures, unchecked, logs, result }
}

/** Acknowledged events never observed; when they are all at the very start, the sink was not ready yet. */
function lossFailures(record: ProbeRecord, runtimeLost: number): string[] {
  let lost = 0
  let firstWritten = Number.POSITIVE_INFINITY
  let firstLost = Number.POSITIVE_INFINITY
  let lastLost = Number.NEGATIVE_INFINITY
  let firstLostSeq = -1
  for (let seq = 0; seq < record.planned; seq++) {
    if (!record.wasWritten(seq)) continue
    const at = record.intendedWritten(seq)
    firstWritten = Math.min(firstWritten, at)
    if (record.wasAcked(seq) && !record.wasObserved(seq)) {
      lost++
      if (firstLostSeq < 0) firstLostSeq = seq
      firstLost = Math.min(firstLost, at)
      lastLost = Math.max(lastLost, at)
    }
  }
  if (lost === 0 && runtimeLost === 0) return []
  // A sink that started late misses most of what was written from the start until it caught up, and
  // sees what came after; random loss spreads thin, an outage mid-run starts later.
  let ackedBeforeLastLost = 0
  let observedAfterLastLost = 0
  for (let seq = 0; seq < record.planned; seq++) {
    if (!record.wasAcked(seq)) continue
    if (record.intendedWritten(seq) <= lastLost) ackedBeforeLastLost++
    else if (record.wasObserved(seq)) observedAfterLastLost++
  }
  const startup = lastLost - firstWritten
  const fromTheStart = firstLost - firstWritten <= startup / 2
  if (lost > 0 && fromTheStart && lost >= ackedBeforeLastLost / 2 && observedAfterLastLost > 0) {
    return [
      `the sink was not ready when start() resolved: the ${lost} events written in the first ${formatMicros(startup)} after it were never seen, every later one was — resolve start() only once the sink sees changes made from then on`,
    ]
  }
  return [`${Math.max(lost, runtimeLost)} acknowledged events were never observed, e.g. seq ${firstLostSeq}`]
}

const SENTENCES: Record<
  Anomaly,
  (n: number, x: { seq: number; value: number; reference: number }) => string
> = {
  neverWritten: (n, x) =>
    `${n} observations name seqs the run never wrote, e.g. seq ${x.value} — observe only seqs read from a marker of this run (context.parseMarker)`,
  wrongKey: (n, x) =>
    `${n} observations give the wrong key, e.g. seq ${x.seq} was written to key ${x.reference}, observed with key ${x.value}`,
  wrongIntendedAt: (n, x) =>
    `${n} observations give an intendedAt other than the marker's, e.g. seq ${x.seq}: ${x.value} instead of ${x.reference} — pass the marker's intendedAt unchanged`,
  notFinite: (n, x) =>
    `${n} observations have a time stamp that is not a number, e.g. seq ${x.seq}: ${x.value}`,
  committedUnit: (n, x) =>
    `${n} committedAt stamps are in ${unitName(x.value, x.reference)}, not epoch microseconds, e.g. seq ${x.seq}: ${x.value}`,
  committedOffset: (n, x) =>
    `${n} committedAt stamps have an implausible offset, e.g. seq ${x.seq} committed ${signed(x.value - x.reference)} from its intended time — stamp with the target's clock in epoch microseconds, from the same epoch`,
  negativeE2e: (n, x) =>
    `${n} committedAt stamps are before the change was written (negative end-to-end samples), e.g. seq ${x.seq}: ${signed(x.value - x.reference)} — declare a coarse stamp's tick in the sink's stampResolutionMicros, or round it up to the end of its tick`,
  committedAfterSeen: (n, x) =>
    `${n} committedAt stamps are after the sink saw the change (negative detection samples), e.g. seq ${x.seq}: ${signed(x.value - x.reference)}`,
  observedUnit: (n, x) =>
    `${n} observedAt stamps are in ${unitName(x.value, x.reference)}, not epoch microseconds, e.g. seq ${x.seq}: ${x.value} — or omit observedAt and cdcb stamps it`,
  observedOffset: (n, x) =>
    `${n} observedAt stamps are out of range (before the change was intended, or in the future), e.g. seq ${x.seq}: ${signed(x.value - x.reference)} from its intended time`,
}

/** The anomalies about time stamps, which the runtime's below-zero and above-range counts would repeat. */
const STAMP_ANOMALIES: readonly Anomaly[] = [
  'notFinite',
  'committedUnit',
  'committedOffset',
  'negativeE2e',
  'committedAfterSeen',
  'observedUnit',
  'observedOffset',
]

function anomalyFailures(record: ProbeRecord): string[] {
  return (Object.keys(SENTENCES) as Anomaly[])
    .filter((a) => record.count(a) > 0)
    .map((a) => SENTENCES[a](record.count(a), record.example(a)))
}

function unitName(stamp: number, now: number): string {
  const ratio = stamp / now
  return ratio < 1e-5 ? 'seconds' : ratio < 1 ? 'milliseconds' : 'nanoseconds'
}

function signed(micros: number): string {
  return `${micros < 0 ? '-' : '+'}${formatMicros(Math.abs(micros))}`
}

/** Asks each plugin's `leftovers` hook, after the run's teardown, what it left behind. */
async function findLeftovers(
  config: Awaited<ReturnType<typeof resolveConfig>>,
  runId: string,
): Promise<{ failures: string[]; unchecked: string[] }> {
  const failures: string[] = []
  const unchecked: string[] = []
  const context: RunContext = {
    runId,
    name: config.name,
    seed: config.load.seed,
    shards: config.workers,
    signal: new AbortController().signal,
    log: () => {},
  }
  const asked = new Set<string>()
  const slots: Array<[Slot, ResolvedPlugin | undefined]> = [
    ['source', config.source],
    ['sink', config.sink],
    ['verify', config.verify],
  ]
  for (const [slot, ref] of slots) {
    if (!ref) continue
    const plugin = await importPlugin(ref.moduleUrl, ref.name)
    if (!plugin.leftovers) {
      if (plugin.prepare && !asked.has(ref.moduleUrl))
        unchecked.push(`could not check teardown: plugin "${ref.name}" has no leftovers() hook`)
      asked.add(ref.moduleUrl)
      continue
    }
    const left = await plugin.leftovers(slot, ref.options, context)
    if (left.length > 0)
      failures.push(
        `teardown left ${left.length} objects of the run behind (${slot}), e.g. ${left.slice(0, 3).join(', ')} — remove in teardown() everything prepare() made`,
      )
  }
  return { failures, unchecked }
}
