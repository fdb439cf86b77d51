/**
 * `cdcb merge`: adds results of runs that ran at the same time (shards of one
 * load, on one machine or many) into one result, as if one process had run it.
 * Histograms and counters add losslessly; rates are the events the inputs
 * counted in their measured windows over the longest window, which is right for
 * runs that overlapped and wrong for runs one after another (the merge warns
 * when the inputs started more than a window apart).
 */
import { randomBytes } from 'node:crypto'
import { ConfigError } from '../errors.js'
import {
  addEncoded,
  countAtPercentile,
  createHistogram,
  encodeHistogram,
  type Histogram,
  summarize,
} from '../metrics/histograms.js'
import {
  type ErrorCount,
  type EventCounts,
  type HopSummary,
  type IntervalPoint,
  LATENCY_METRICS,
  type LatencyMetric,
  type RunResult,
  type RunStatus,
  type SloCheck,
} from '../result.js'
import { noRecoveryNote } from '../scenarios/recovery.js'
import { evaluateSlo, type LatencyValue } from '../slo/evaluate.js'
import { parseSlo, type SloExpression, type Statistic } from '../slo/parser.js'
import { runDifferences } from './compare.js'
import { ResultFigures } from './figures.js'

export interface MergeInput {
  /** Where the result came from, as the user named it (shown in warnings and `mergedFrom`). */
  readonly file: string
  readonly result: RunResult
}

export interface MergeOptions {
  /** SLOs to evaluate on the merged result; by default the inputs' own checks (their union, in order). */
  readonly slo?: readonly SloExpression[]
}

const PERCENTILE: Record<Exclude<Statistic, 'max' | 'mean'>, number> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
}
const MAX_MISMATCHES = 50

/** Merges results into one; the SLOs are evaluated on the merged histograms and counters. */
export function mergeResults(inputs: readonly MergeInput[], options: MergeOptions = {}): RunResult {
  if (inputs.length === 0) throw new Error('mergeResults: no inputs')
  const results = inputs.map((i) => i.result)
  const first = results[0]!
  const warnings: string[] = []
  const shards = checkShards(inputs)
  if (!shards) checkDistinctRuns(inputs)

  const histograms = {} as Record<LatencyMetric, Histogram>
  const encoded = {} as Record<LatencyMetric, string>
  for (const metric of LATENCY_METRICS) {
    const histogram = createHistogram()
    for (const r of results) {
      const text = r.histograms?.[metric]
      if (typeof text === 'string') addEncoded(histogram, text)
    }
    histograms[metric] = histogram
    encoded[metric] = encodeHistogram(histogram)
  }

  const events = sumRecords(
    results.map((r) => r.events as unknown as Record<string, number>),
  ) as unknown as EventCounts
  // A sum with an unknown part is unknown: loss known for some inputs only is not the merged loss.
  if (results.some((r) => r.events.lost === null)) (events as { lost: number | null }).lost = null
  // Samples out of the histograms' range are counted beside them, so a rank is taken over all samples, as a run does.
  const outside = Object.fromEntries(
    LATENCY_METRICS.map((m) => [
      m,
      {
        belowZero: results.reduce((n, r) => n + (r.metrics?.[m]?.belowZero ?? 0), 0),
        aboveRange: results.reduce((n, r) => n + (r.metrics?.[m]?.aboveRange ?? 0), 0),
      },
    ]),
  ) as Record<LatencyMetric, OutOfRange>
  const windowCounts = sumRecords(results.map((r) => (r.window ?? {}) as unknown as Record<string, number>))
  const deliveries = results
    .map((r) => r.window?.deliverySeconds)
    .filter((v): v is number => typeof v === 'number')
  const window: RunResult['window'] = {
    sent: windowCounts.sent ?? 0,
    errors: windowCounts.errors ?? 0,
    late: windowCounts.late ?? 0,
    observed: windowCounts.observed ?? 0,
    deliverySeconds: deliveries.length ? Math.max(...deliveries) : null,
  }
  const measuredSeconds = Math.max(...results.map((r) => r.measuredSeconds))
  // Events each input counted in its own window, over the longest window: the shards' sum for overlapping runs.
  // Unknown (null) when no input knows it, e.g. the target of closed-model runs.
  const rateOf = (pick: (r: RunResult) => number | null): number | null => {
    if (results.every((r) => pick(r) === null)) return null
    if (measuredSeconds === 0) return 0
    let inWindows = 0
    for (const r of results) inWindows += (pick(r) ?? 0) * r.measuredSeconds
    return round(inWindows / measuredSeconds)
  }
  const achieved = rateOf((r) => r.rate.achieved)

  const starts = results.map((r) => Date.parse(r.startedAt))
  let spreadSeconds = (Math.max(...starts) - Math.min(...starts)) / 1000
  if (shards) {
    // Shards wait for one start time: what tells whether they ran together is when each actually started.
    if (shards.actualStartSpreadMs !== null) spreadSeconds = shards.actualStartSpreadMs / 1000
    warnings.push(
      shards.actualStartSpreadMs === null
        ? `merged the ${shards.count} shards of run ${first.runId}; the spread of their actual starts is unknown (an input does not record its start)`
        : `merged the ${shards.count} shards of run ${first.runId}; their actual starts spread over ${shards.actualStartSpreadMs.toFixed(3)} ms, each by its own machine's clock (keep the machines' clocks within NTP accuracy)`,
    )
  } else if (results.length > 1) {
    warnings.push(
      `merged ${results.length} results; their start times spread over ${spreadSeconds.toFixed(3)}s`,
    )
  }
  if (measuredSeconds > 0 && spreadSeconds > measuredSeconds) {
    warnings.push(
      `the inputs started ${spreadSeconds.toFixed(0)}s apart, longer than a measured window (${measuredSeconds}s): they did not overlap, so the merged rates (events over one window) overstate them`,
    )
  }
  // Runs that measured different things (compare's unfairness check) do not add up to one run: say what differs.
  for (const input of inputs.slice(1)) {
    const model = inputs[0]!
    // The names in the order of the values in each note: the first input's first.
    for (const note of runDifferences(model.result, input.result, {
      a: `input ${model.file}`,
      b: `input ${input.file}`,
    }))
      warnings.push(`${model.file} vs ${input.file}: ${note}`)
  }
  const { config, differing, seedsDiffer } = mergedConfig(results, shards !== undefined)
  if (config === undefined && results.some((r) => r.config))
    warnings.push(
      `the inputs' configs differ${differing.length ? ` (in ${differing.join(', ')})` : ''}: the merged result has no config of its own; each input's is in mergedFrom[].config`,
    )
  if (seedsDiffer)
    warnings.push(
      "the inputs drew different load seeds (their configs are otherwise the same): the merged config is the first input's, with its seed; each input's seed is in mergedFrom[].seed",
    )
  for (const input of inputs) {
    for (const w of input.result.warnings) warnings.push(`${input.file}: ${w}`)
  }

  // Backlog peaks and recovery are measured on one run's interval series; shards' peaks at different
  // moments do not add up, so a merge of several reports them per input and leaves the merged ones unknown.
  const single = results.length === 1 ? first : undefined
  if (!single && results.some((r) => (r.recovery ?? []).length > 0 || typeof r.backlogMax === 'number')) {
    warnings.push(
      "backlog.max and recovery are per run: the merged result lists each input's recovery and leaves the merged backlog peak and recovery.time unknown",
    )
  }
  const verification = mergeVerification(results)
  const interrupted = results.some((r) => r.status === 'interrupted')
  const expressions =
    options.slo ?? distinct(results.flatMap((r) => r.slo.checks.map((c) => c.expression))).map(parseSlo)
  const checks = evaluateSlo(expressions, {
    latency: (name, statistic) =>
      latencyValue(histograms[name as LatencyMetric], outside[name as LatencyMetric], statistic),
    events,
    window,
    achievedRate: achieved,
    verification,
    scenario: single
      ? {
          recoveryTimeMs: new ResultFigures(single).get('recovery.time'),
          backlogMax: single.backlogMax ?? null,
        }
      : null,
    // What the merge cannot know is skipped with the reason, as a run skips what it never measured.
    unmeasured: (metric) => {
      if (metric.kind === 'scenario' && !single)
        return `not measured: ${metric.name} is per run — see each input's recovery`
      if (
        metric.kind === 'scenario' &&
        metric.name === 'recovery.time' &&
        (single?.recovery ?? []).length === 0
      )
        return noRecoveryNote(single?.faults ?? [])
      if (metric.kind === 'counter' && metric.name === 'lost' && events.lost === null && interrupted)
        return 'not measured: an input was interrupted before its drain decided loss'
      return undefined
    },
    // Windows are judged by the run that measured them: one input's windows stand, several inputs'
    // cannot be recombined (results carry no per-window histograms), so those checks are skipped.
    windows: single
      ? (expression) => single.slo.checks.find((c) => c.expression === expression.source)?.windows
      : undefined,
  }).map((check): SloCheck => {
    const expression = expressions.find((e) => e.source === check.expression)
    const perRun =
      expression?.windowMicros !== undefined || (expression?.metric.kind === 'scenario' && !single)
    if (check.status !== 'skipped' || !perRun) return check
    // What the merge cannot recompute is judged by each input in its own run: say what each found, and a
    // gate an input failed fails the merge too (a merge of two runs that never recovered had passed).
    const own = inputs.map((input) => ({
      file: input.file,
      check: input.result.slo.checks.find((c) => c.expression === check.expression),
    }))
    if (own.every((o) => !o.check)) return check
    const verdicts = own.map((o) => `${o.file} ${o.check ? o.check.status : 'not checked'}`).join(', ')
    const failed = own.filter((o) => o.check?.status === 'failed').map((o) => o.file)
    if (failed.length === 0) return { ...check, note: `${check.note}; inputs: ${verdicts}` }
    return {
      ...check,
      status: 'failed',
      passed: false,
      note: `failed in ${failed.join(', ')} (judged per run); inputs: ${verdicts}`,
    }
  })
  const metrics = Object.fromEntries(
    LATENCY_METRICS.map((m) => [m, { ...summarize(histograms[m]), ...outside[m] }]),
  ) as unknown as RunResult['metrics']
  for (const metric of LATENCY_METRICS) histograms[metric].destroy()

  // As in a run: an input that was interrupted did not pass, so neither does the merge.
  const sloPassed = !interrupted && checks.filter((c) => c.status !== 'skipped').every((c) => c.passed)
  const status: RunStatus = interrupted ? 'interrupted' : sloPassed ? 'passed' : 'failed'
  const runIds = distinct(results.map((r) => r.runId))
  const machines = distinct(results.map((r) => r.machine?.hostname ?? ''))
  const ops = sumRecords(results.map((r) => (r.operations ?? {}) as Record<string, number>))

  return {
    schemaVersion: 1,
    runId: runIds.length === 1 ? runIds[0]! : `merged-${randomBytes(3).toString('hex')}`,
    name: first.name,
    status,
    exitCode: status === 'interrupted' ? 130 : status === 'passed' ? 0 : 1,
    reason: interrupted ? 'an input was interrupted: partial results' : undefined,
    startedAt: new Date(Math.min(...starts)).toISOString(),
    endedAt: new Date(Math.max(...results.map((r) => Date.parse(r.endedAt)))).toISOString(),
    workers: results.reduce((n, r) => n + r.workers, 0),
    source: distinct(results.map((r) => r.source)).join(', '),
    sink: distinct(results.map((r) => r.sink)).join(', '),
    timeBase: distinct(results.map((r) => r.timeBase)).join('; '),
    slo: {
      passed: sloPassed,
      checks,
      ...(interrupted
        ? { note: 'an input was interrupted: the merged run did not finish, so it did not pass' }
        : {}),
    },
    metrics,
    rate: {
      target: rateOf((r) => r.rate.target),
      sent: rateOf((r) => r.rate.sent),
      achieved,
    },
    window,
    events,
    operations: { insert: ops.insert ?? 0, update: ops.update ?? 0, delete: ops.delete ?? 0 },
    lateShare: window.sent === 0 ? 0 : window.late / window.sent,
    measuredSeconds,
    ...(distinct(results.map((r) => r.seed)).length === 1 && first.seed !== undefined
      ? { seed: first.seed }
      : {}),
    // One run's lifecycle; the inputs' own are in their files.
    phases: single ? single.phases : [],
    errors: mergeErrors(results),
    verification,
    warnings,
    intervals: mergeIntervals(results),
    histograms: encoded,
    hops: mergeHops(results),
    // One run's pipeline part; the inputs' own events are in their files.
    pipeline: single ? (single.pipeline ?? null) : null,
    backlogMax: single ? (single.backlogMax ?? null) : null,
    faults: inputs.flatMap((i) =>
      (i.result.faults ?? []).map((f) => (single ? f : { ...f, name: `${i.file}: ${f.name}` })),
    ),
    recovery: inputs.flatMap((i) =>
      (i.result.recovery ?? []).map((r) => (single ? r : { ...r, label: `${i.file}: ${r.label}` })),
    ),
    plugins: {
      source: sumRecords(results.map((r) => r.plugins?.source ?? {})),
      sink: sumRecords(results.map((r) => r.plugins?.sink ?? {})),
    },
    ...(config ? { config } : {}),
    machine: machines.length === 1 ? first.machine : undefined,
    ...(shards ? { shards } : {}),
    mergedFrom: inputs.map((i) => ({
      file: i.file,
      runId: i.result.runId,
      ...(i.result.shard ? { shard: `${i.result.shard.index}/${i.result.shard.count}` } : {}),
      // A merged input's own runs, so a later merge sees every run this one counts.
      ...(i.result.mergedFrom?.length ? { runs: runsCounted(i.result) } : {}),
      // No one input's config is the merged run's when they differ: each is kept with its input.
      ...(config === undefined && i.result.config ? { config: i.result.config } : {}),
      ...(seedsDiffer && i.result.config ? { seed: i.result.config.load.seed } : {}),
      startedAt: i.result.startedAt,
      status: i.result.status,
      machine: i.result.machine?.hostname,
    })),
  }
}

/**
 * The inputs' config when every input records the same one; undefined when
 * they differ or one lacks it, with the fields that differ (dot paths). Runs
 * that are not shards and differ only in `load.seed` count as one config: a
 * config without `load.seed` draws a new seed each run, and the seed changes
 * which keys and payloads are sent, not the load's shape (compare ignores it
 * too). Shards of one run must share their seed, so for them it is a difference.
 */
function mergedConfig(
  results: readonly RunResult[],
  areShards: boolean,
): { config: RunResult['config']; differing: string[]; seedsDiffer: boolean } {
  const first = results[0]!.config
  if (!first || results.some((r) => !r.config))
    return { config: undefined, differing: [], seedsDiffer: false }
  const differing = [...new Set(results.slice(1).flatMap((r) => differingFields(first, r.config)))]
  if (differing.length === 0) return { config: first, differing, seedsDiffer: false }
  if (!areShards && differing.length === 1 && differing[0] === 'load.seed')
    return { config: first, differing, seedsDiffer: true }
  return { config: undefined, differing, seedsDiffer: false }
}

/** The dot paths at which two JSON values differ (lists compared whole). */
function differingFields(x: unknown, y: unknown, path = ''): string[] {
  const plain = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
  if (plain(x) && plain(y)) {
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])]
    return keys.flatMap((key) => differingFields(x[key], y[key], path ? `${path}.${key}` : key))
  }
  return JSON.stringify(x) === JSON.stringify(y) ? [] : [path || '(all)']
}

/**
 * When any input is a shard (`--shard`), every input must be a shard of the
 * same run (run id and count), each shard once, none missing; throws a
 * ConfigError (exit 2) naming the file and what is wrong otherwise. Returns the
 * shard count and the spread of the shards' actual starts (ms), or undefined
 * when no input is a shard.
 */
function checkShards(inputs: readonly MergeInput[]): RunResult['shards'] {
  const model = inputs.find((i) => i.result.shard)
  if (!model) return undefined
  const { runId } = model.result
  const { count } = model.result.shard!
  const seen = new Map<number, string>()
  const name = (i: MergeInput) =>
    `shard ${i.result.shard!.index}/${i.result.shard!.count} of run ${i.result.runId}`
  for (const input of inputs) {
    const shard = input.result.shard
    if (!shard) {
      throw new ConfigError(
        `${input.file}: shard: absent — it is a run of its own, while ${model.file} is ${name(model)}; merge the shards of one run only`,
      )
    }
    if (input.result.runId !== runId || shard.count !== count) {
      throw new ConfigError(
        `${input.file}: ${input.result.runId !== runId ? 'runId' : 'shard'}: ${name(input)}, while ${model.file} is ${name(model)} — merge the shards of one run only`,
      )
    }
    checkSamePlan(model, input)
    const other = seen.get(shard.index)
    if (other !== undefined) {
      throw new ConfigError(
        `${input.file}: shard: ${shard.index}/${count} is given twice (also ${other}) — pass each shard's result once`,
      )
    }
    seen.set(shard.index, input.file)
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i))
  if (missing.length > 0) {
    throw new ConfigError(
      `${model.file}: shard: run ${runId} has ${count} shards and shard ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing — pass every shard's result (a merge without one would undercount the run)`,
    )
  }
  const actual = inputs.map((i) => i.result.start?.actualMicros)
  const known = actual.filter((v): v is number => typeof v === 'number')
  return {
    count,
    actualStartSpreadMs:
      known.length === actual.length ? round((Math.max(...known) - Math.min(...known)) / 1e3) : null,
  }
}

/**
 * Results that are not shards must be different runs: the same run twice (one file
 * given twice, a copy, or a merged result that already counts a run another input
 * is or counts) would count its events twice. A merged input's runs are those its
 * `mergedFrom` lists, at any depth (`mergedFrom[].runs`). ConfigError (exit 2)
 * naming both files otherwise.
 */
function checkDistinctRuns(inputs: readonly MergeInput[]): void {
  const seen = new Map<string, { file: string; own: boolean }>()
  for (const input of inputs) {
    const own = (runId: string) => runId === input.result.runId && !input.result.mergedFrom?.length
    for (const runId of runsCounted(input.result)) {
      const other = seen.get(runId)
      if (other === undefined) continue
      const where = other.file === input.file ? 'the same file given before' : other.file
      const what =
        own(runId) && other.own
          ? `${runId} is also the run id of ${where}`
          : `run ${runId}${runId === input.result.runId ? '' : ', which it merged,'} is also counted in ${where}${other.own ? '' : ', which merged it'}`
      throw new ConfigError(
        `${input.file}: runId: ${what} — the same run twice would count its events twice; pass each run once`,
      )
    }
    for (const runId of runsCounted(input.result)) seen.set(runId, { file: input.file, own: own(runId) })
  }
}

/**
 * The run ids whose events a result counts: its own, or for a merged result
 * those of every run it merged, at any depth (shards of one run share its id).
 */
export function runsCounted(result: RunResult): string[] {
  if (!result.mergedFrom?.length) return [result.runId]
  return distinct(result.mergedFrom.flatMap((part) => part.runs ?? [part.runId]))
}

/**
 * The parts of `result.config.load` that decide a run's operations: which seqs
 * are sent when, of what kind, to which key, with what payload. Every shard of
 * a run must share them; `maxInFlight`, `batchSize`, `lateAfterMs` and
 * `drainTimeoutSeconds` change how the plan is sent and judged, not the plan.
 */
const PLAN_FIELDS = [
  'model',
  'stages',
  'warmupSeconds',
  'totalSeconds',
  'concurrency',
  'mix',
  'keys',
  'payloadSize',
  'seed',
] as const

/**
 * ConfigError naming the first plan field in which `input` differs from `model`,
 * if any. `workers` is part of the plan: a shard's workers split the keys among
 * `workers × N` plan workers (load/shard.ts), so shards with different
 * `--workers` pick other keys than any one process would. Load fields are
 * compared when both results record their config (older results do not).
 */
function checkSamePlan(model: MergeInput, input: MergeInput): void {
  const refuse = (field: string, x: unknown, y: unknown) => {
    throw new ConfigError(
      `${input.file}: ${field}: ${JSON.stringify(y)}, while ${model.file} has ${JSON.stringify(x)} — the shards of one run must run one plan (the same config, workers, rate, duration and seed); run every shard with the same settings`,
    )
  }
  if (model.result.workers !== input.result.workers)
    refuse('workers', model.result.workers, input.result.workers)
  const a = model.result.config?.load
  const b = input.result.config?.load
  if (!a || !b) return
  for (const field of PLAN_FIELDS) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field]))
      refuse(`config.load.${field}`, a[field], b[field])
  }
}

interface OutOfRange {
  readonly belowZero: number
  readonly aboveRange: number
}

/** A statistic over the merged histogram, ranked among all samples as a run's SLO check ranks them. */
function latencyValue(histogram: Histogram, out: OutOfRange, statistic: Statistic): LatencyValue {
  const { belowZero, aboveRange } = out
  const count = histogram.totalCount
  let micros: number
  if (statistic === 'mean') micros = belowZero + aboveRange > 0 || count === 0 ? Number.NaN : histogram.mean
  else if (statistic === 'max')
    micros = aboveRange > 0 ? Number.POSITIVE_INFINITY : count > 0 ? histogram.maxValue : Number.NaN
  else {
    const total = count + belowZero + aboveRange
    const rank = countAtPercentile(PERCENTILE[statistic], total)
    if (total === 0 || rank <= belowZero || rank > belowZero + count) micros = Number.NaN
    else micros = histogram.getValueAtPercentile((100 * (rank - belowZero)) / count)
  }
  return { value: Number.isFinite(micros) ? micros / 1e3 : null, belowZero, aboveRange }
}

function sumRecords(records: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      if (typeof value === 'number') out[key] = (out[key] ?? 0) + value
    }
  }
  return out
}

function mergeErrors(results: readonly RunResult[]): ErrorCount[] {
  const byKind = new Map<string, ErrorCount>()
  for (const r of results) {
    for (const e of r.errors ?? []) {
      const seen = byKind.get(e.kind)
      byKind.set(e.kind, { kind: e.kind, count: (seen?.count ?? 0) + e.count, lastMessage: e.lastMessage })
    }
  }
  return [...byKind.values()].sort((a, b) => b.count - a.count)
}

function mergeVerification(results: readonly RunResult[]): RunResult['verification'] {
  const parts = results.map((r) => r.verification).filter((v) => v !== null && v !== undefined)
  if (parts.length === 0) return null
  return {
    checked: parts.reduce((n, v) => n + v.checked, 0),
    mismatched: parts.reduce((n, v) => n + v.mismatched, 0),
    skipped: parts.reduce((n, v) => n + (v.skipped ?? 0), 0),
    mismatches: parts.flatMap((v) => v.mismatches).slice(0, MAX_MISMATCHES),
    // An input whose verifier failed leaves the merged verification unknown too.
    ...(parts.some((v) => v.error !== undefined)
      ? { error: [...new Set(parts.flatMap((v) => (v.error === undefined ? [] : [v.error])))].join('; ') }
      : {}),
  }
}

/**
 * Rows of the same interval add their rates, in-flight and errors. Processes
 * tick on their own clocks (shards started together tick milliseconds apart),
 * so rows are matched by interval number — `t` over the inputs' interval, the
 * median step between rows — not by an exact `t`; an input's own short last
 * row (the run ended between ticks) keeps its own place. Per-interval
 * percentiles cannot be added (the result keeps no per-interval histograms), so
 * a merged row's percentiles are null unless only one input had that row.
 */
function mergeIntervals(results: readonly RunResult[]): IntervalPoint[] {
  if (results.length === 1) return [...results[0]!.intervals]
  const step = medianStep(results)
  const rows = new Map<string, { point: Record<string, unknown>; parts: number }>()
  for (const r of results) {
    const taken = new Set<string>()
    for (const p of r.intervals) {
      const aligned = step === undefined ? undefined : Math.round(p.t / step)
      let key = aligned === undefined ? `t${round(p.t)}` : `i${aligned}`
      // A second row in the same interval (the short last one): beside the other inputs' short last rows.
      if (taken.has(key)) key = `${key}+`
      taken.add(key)
      const row = rows.get(key)
      if (!row) {
        const t = key.startsWith('i') && !key.endsWith('+') ? round(aligned! * step!) : round(p.t)
        rows.set(key, { point: { ...p, t }, parts: 1 })
        continue
      }
      row.parts++
      for (const field of ['targetRate', 'sentRate', 'achievedRate', 'inFlight', 'errors'] as const) {
        const [a, b] = [row.point[field] as number | null, p[field] as number | null]
        // Closed-model rows plan no rate: unknown stays unknown rather than becoming 0.
        row.point[field] = a === null && b === null ? null : round((a ?? 0) + (b ?? 0))
      }
      for (const field of ['e2eP50', 'e2eP99', 'lagP99']) row.point[field] = null
    }
  }
  return [...rows.values()].map((row) => row.point as unknown as IntervalPoint).sort((a, b) => a.t - b.t)
}

/** The inputs' interval, seconds: the median step between consecutive rows of each input; undefined with too few rows. */
function medianStep(results: readonly RunResult[]): number | undefined {
  const steps: number[] = []
  for (const r of results) {
    for (let i = 1; i < r.intervals.length; i++) steps.push(r.intervals[i]!.t - r.intervals[i - 1]!.t)
  }
  const positive = steps.filter((d) => d > 0).sort((a, b) => a - b)
  return positive.length === 0 ? undefined : positive[Math.floor(positive.length / 2)]
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** Hops of the same name add losslessly, as the latency histograms do; their coarsest resolution stands. */
function mergeHops(results: readonly RunResult[]): HopSummary[] {
  const byName = new Map<
    string,
    { first: HopSummary; histogram: Histogram; belowZero: number; resolution: number }
  >()
  for (const result of results) {
    for (const hop of result.hops ?? []) {
      let merged = byName.get(hop.name)
      if (!merged) {
        merged = { first: hop, histogram: createHistogram(), belowZero: 0, resolution: 0 }
        byName.set(hop.name, merged)
      }
      addEncoded(merged.histogram, hop.histogram)
      merged.belowZero += hop.belowZero
      merged.resolution = Math.max(merged.resolution, hop.resolutionMicros)
    }
  }
  return [...byName.values()].map(({ first, histogram, belowZero, resolution }) => {
    const hop: HopSummary = {
      ...first,
      resolutionMicros: resolution,
      belowZero,
      latency: { ...first.latency, ...summarize(histogram) },
      histogram: encodeHistogram(histogram),
    }
    histogram.destroy()
    return hop
  })
}
