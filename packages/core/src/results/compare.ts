/**
 * `cdcb compare`: two results side by side, gates on the change, and the
 * differences between the runs that make a comparison unfair.
 *
 * Gate grammar (`--fail-on`), whitespace allowed between tokens:
 *
 *   gates      ::= gate { "," gate }
 *   gate       ::= figure comparator change
 *   figure     ::= one of FIGURES' names (e2e.p99, throughput, lost, …)
 *                | "hop." name "." statistic (a hop's latency: hop.connector.p99)
 *   comparator ::= "<" | "<=" | ">" | ">="
 *   change     ::= [ "+" | "-" ] number ( "%" | [ unit ] )
 *   unit       ::= "us" | "ms" | "s" | "/s" | "pp"
 *
 * A `%` change is relative to the baseline ((candidate − baseline) / baseline);
 * anything else is the absolute difference in the figure's unit (latencies in
 * ms unless us or s is written; `pp` percentage points for % figures). A change
 * without a unit is only for counts (`lost > 0`) or zero: `throughput < -10`
 * is refused, since -10% was as likely meant as -10/s. A gate is
 * crossed when `change comparator threshold` holds, so `e2e.p99 > +20%` fails
 * when p99 rose by more than a fifth.
 */
import path from 'node:path'
import { ConfigError } from '../errors.js'
import { LATENCY_METRICS, type RunResult } from '../result.js'
import { formatCount } from '../units.js'
import {
  FIGURES,
  type Figure,
  figureNamed,
  hopFigures,
  LATENCY_STATISTICS,
  ResultFigures,
} from './figures.js'

export interface Gate {
  readonly source: string
  readonly figure: Figure
  readonly comparator: '<' | '<=' | '>' | '>='
  /** Percent when `relative`, otherwise in the figure's unit. */
  readonly threshold: number
  readonly relative: boolean
}

const GATE = /^([A-Za-z0-9_.]+)\s*(<=|>=|<|>)\s*([+-]?\d+(?:\.\d+)?)\s*(%|us|ms|s|\/s|pp)?$/

/** Parses `--fail-on`; throws ConfigError (exit 2) naming the bad gate and what would be right. */
export function parseGates(text: string): Gate[] {
  const parts = text.split(',').map((p) => p.trim())
  if (parts.every((p) => p === ''))
    throw new ConfigError('--fail-on: no gate given — write e.g. "e2e.p99 > +20%, throughput < -10%"')
  // An empty gate between commas is a typo that would silently drop a gate the user meant to write.
  const empty = parts.indexOf('')
  if (empty >= 0)
    throw new ConfigError(
      `--fail-on: gate ${empty + 1} of "${text}" is empty — remove the extra comma or write the gate`,
    )
  return parts.map((source) => {
    const match = GATE.exec(source)
    if (!match) {
      throw new ConfigError(
        `--fail-on: cannot read "${source}" — write figure, comparator and change, e.g. "e2e.p99 > +20%" or "lost > 0"`,
      )
    }
    const [, name, comparator, number, unit] = match
    const figure = figureNamed(name!)
    if (!figure) {
      throw new ConfigError(
        `--fail-on: unknown figure "${name}" in "${source}" — use one of ${FIGURES.map((f) => f.name).join(', ')}, or hop.<name>.<statistic> for a hop`,
      )
    }
    let threshold = Number(number)
    // `throughput < -10` read as -10/s where -10% was meant: a change on a figure with a unit must say
    // which (0 is 0 in any unit). Counts have none: `lost > 0`.
    if (unit === undefined && figure.unit !== '' && threshold !== 0) {
      const absolute = figure.unit === '%' ? 'pp' : figure.unit
      throw new ConfigError(
        `--fail-on: "${source}" gives the change no unit, and ${figure.name} is in ${figure.unit} — write ${number}% for a relative change or ${number}${absolute} for an absolute one`,
      )
    }
    const relative = unit === '%'
    if (!relative && unit !== undefined) {
      const fits =
        figure.unit === 'ms'
          ? unit === 'us' || unit === 'ms' || unit === 's'
          : figure.unit === '%'
            ? unit === 'pp'
            : unit === figure.unit
      if (!fits) {
        throw new ConfigError(
          `--fail-on: "${unit}" does not fit ${figure.name} in "${source}" — ${figure.name} is in ${figure.unit || 'counts'}; write % for a relative change`,
        )
      }
      if (unit === 'us') threshold /= 1000
      if (unit === 's' && figure.unit === 'ms') threshold *= 1000
    }
    return { source, figure, comparator: comparator as Gate['comparator'], threshold, relative }
  })
}

/** One figure of both runs. */
export interface ComparedFigure {
  readonly figure: Figure
  readonly baseline: number | null
  readonly candidate: number | null
  /** candidate − baseline; null when either is unknown. */
  readonly delta: number | null
  /** Change in percent of the baseline; ±Infinity from a zero baseline, null when either is unknown. */
  readonly percent: number | null
}

export interface GateOutcome {
  readonly gate: Gate
  /** The change the gate looked at; null when a run has no data for the figure (the gate then counts as crossed). */
  readonly change: number | null
  readonly crossed: boolean
}

export interface Comparison {
  readonly figures: readonly ComparedFigure[]
  readonly gates: readonly GateOutcome[]
  /** Differences between the runs that make the comparison unfair. */
  readonly unfair: readonly string[]
}

/** Compares every figure of two results and evaluates the gates on the changes. */
export function compareResults(
  baseline: RunResult,
  candidate: RunResult,
  gates: readonly Gate[] = [],
): Comparison {
  const a = new ResultFigures(baseline)
  const b = new ResultFigures(candidate)
  // The hops either run has, and those a gate names that neither has (no data: the gate counts as crossed).
  const latencyCount = LATENCY_METRICS.length * LATENCY_STATISTICS.length
  const hops = hopFigures([baseline, candidate])
  for (const gate of gates) {
    if (!FIGURES.includes(gate.figure) && !hops.some((f) => f.name === gate.figure.name))
      hops.push(gate.figure)
  }
  const shown = [...FIGURES.slice(0, latencyCount), ...hops, ...FIGURES.slice(latencyCount)]
  const figures = shown.map((figure): ComparedFigure => {
    const x = a.get(figure.name)
    const y = b.get(figure.name)
    const known = x !== null && y !== null
    return {
      figure,
      baseline: x,
      candidate: y,
      delta: known ? y - x : null,
      percent: known ? percentChange(x, y) : null,
    }
  })
  const outcomes = gates.map((gate): GateOutcome => {
    const row = figures.find((f) => f.figure.name === gate.figure.name)!
    const change = gate.relative ? row.percent : row.delta
    if (change === null) return { gate, change, crossed: true }
    return { gate, change, crossed: holds(change, gate.comparator, gate.threshold) }
  })
  return { figures, gates: outcomes, unfair: unfairDifferences(baseline, candidate) }
}

function percentChange(from: number, to: number): number {
  if (from === 0) return to === 0 ? 0 : to > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
  return ((to - from) / Math.abs(from)) * 100
}

function holds(value: number, comparator: Gate['comparator'], threshold: number): boolean {
  switch (comparator) {
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
  }
}

/**
 * What differs between two runs in a way that changes what they measure: the
 * pipeline (its part and faults), the load, the machine, a run cut short. Seeds and names are not
 * listed; they do not change the load's shape.
 */
export function unfairDifferences(a: RunResult, b: RunResult): string[] {
  const labels = { a: 'baseline', b: 'candidate' }
  const notes: string[] = []
  // One file twice, or a copy: every change reads 0, which looks like a result.
  if (sameRunFile(a, b))
    notes.push(
      `both results are run ${a.runId}: a run compared with itself (one file twice, or a copy of it) shows no change`,
    )
  notes.push(...pipelineDifferences(a, b))
  for (const [label, r] of [
    [labels.a, a],
    [labels.b, b],
  ] as const) {
    if (r.status === 'interrupted')
      notes.push(`the ${label} was interrupted: its figures cover part of the run`)
    if (r.mergedFrom) notes.push(`the ${label} is a merge of ${r.mergedFrom.length} results`)
    if (r.shard)
      notes.push(
        `the ${label} is shard ${r.shard.index}/${r.shard.count} of run ${r.runId}: its figures are its share of the run (compare merged shards: cdcb merge)`,
      )
  }
  notes.push(...loadDifferences(a, b, labels), ...machineDifferences(a, b))
  return notes
}

/**
 * Whether two results are one run's one file (the file twice, or a copy). The run id alone does not
 * tell: one process and the merge of shards run with one `--run-id` share it but are two runs. A copy
 * has the same id, shard, start and end, counts and histograms.
 */
function sameRunFile(a: RunResult, b: RunResult): boolean {
  const key = (r: RunResult) =>
    JSON.stringify([
      r.runId,
      r.shard ?? null,
      r.startedAt,
      r.endedAt,
      r.start?.actualMicros ?? null,
      r.mergedFrom?.map((p) => [p.runId, p.shard ?? null, p.startedAt]) ?? null,
      r.events,
      r.operations,
      r.histograms,
    ])
  return key(a) === key(b)
}

/**
 * What differs between two runs' pipeline and load (not their machines): the
 * part of `unfairDifferences` that `cdcb merge` warns of too, since runs that
 * measured different things do not add up to one run. `labels` name the two
 * runs in a note about one of them.
 */
export function runDifferences(
  a: RunResult,
  b: RunResult,
  labels: { a: string; b: string } = { a: 'baseline', b: 'candidate' },
): string[] {
  return [...pipelineDifferences(a, b), ...loadDifferences(a, b, labels)]
}

/** JSON of both values when they differ, as `what differs: x vs y`. */
function differ(notes: string[], what: string, x: unknown, y: unknown): void {
  const sx = JSON.stringify(x)
  const sy = JSON.stringify(y)
  if (sx !== sy) notes.push(`${what} differs: ${sx ?? 'not recorded'} vs ${sy ?? 'not recorded'}`)
}

function pipelineDifferences(a: RunResult, b: RunResult): string[] {
  const notes: string[] = []
  differ(notes, 'source', a.source, b.source)
  differ(notes, 'sink', a.sink, b.sink)
  // A pipeline part (a connector, the memory pipeline) is what carries the events; results of
  // older cdcb record it only in `pipeline`, newer ones in `config.pipeline` too.
  const partA = pipelinePart(a)
  const partB = pipelinePart(b)
  if (partA !== partB) notes.push(`pipeline part differs: ${partA} vs ${partB}`)
  // A fault (a stall, a killed connector) is the thing a run measures recovery from.
  const faultsA = faultPlan(a)
  const faultsB = faultPlan(b)
  if (faultsA !== faultsB) notes.push(`faults differ: ${faultsA} vs ${faultsB}`)
  differ(notes, 'time base', a.timeBase, b.timeBase)
  differ(notes, 'workers', a.workers, b.workers)
  return notes
}

function pipelinePart(r: RunResult): string {
  return r.config?.pipeline?.name ?? r.pipeline?.name ?? 'none'
}

/** The planned faults as one line (`stall at 5s for 3s, kill at 20s`); `none` without any. */
function faultPlan(r: RunResult): string {
  const faults = r.config?.faults ?? r.faults ?? []
  if (faults.length === 0) return 'none'
  return faults.map((f) => `${f.name} at ${f.at}s${f.for === null ? '' : ` for ${f.for}s`}`).join(', ')
}

function loadDifferences(a: RunResult, b: RunResult, labels: { a: string; b: string }): string[] {
  const notes: string[] = []
  const longer = Math.max(a.measuredSeconds, b.measuredSeconds)
  if (longer > 0 && Math.abs(a.measuredSeconds - b.measuredSeconds) / longer > 0.1) {
    notes.push(
      `measured windows differ: ${a.measuredSeconds}s vs ${b.measuredSeconds}s (tails of a longer run reach further)`,
    )
  }
  if (!a.config || !b.config) {
    const [label, r] = !a.config ? [labels.a, a] : [labels.b, b]
    notes.push(
      r.mergedFrom
        ? `the ${label} is a merge of runs whose configs differ (each input's is in its mergedFrom[].config): the loads cannot be checked to match`
        : `the ${label} does not record its config (an older cdcb wrote it): the loads cannot be checked to match`,
    )
    return notes
  }
  const x = a.config
  const y = b.config
  const slots = [
    ['source', x.source, y.source],
    ['sink', x.sink, y.sink],
    // Options of one pipeline part; another part is noted by pipelineDifferences.
    ['pipeline', x.pipeline, y.pipeline],
  ] as const
  for (const [slot, px, py] of slots) {
    if (!px || !py || (slot === 'pipeline' && px.name !== py.name)) continue
    const changed = optionDifferences(px.options, py.options)
    if (changed.length === 0) continue
    const shown = changed.slice(0, MAX_OPTION_DIFFERENCES).join('; ')
    const more = changed.length - MAX_OPTION_DIFFERENCES
    notes.push(`${slot} options differ: ${shown}${more > 0 ? `; and ${more} more` : ''}`)
  }
  // Same names and times but another action (SIGSTOP instead of a pipeline stall) is another fault.
  if (x.faults && y.faults && faultPlan(a) === faultPlan(b)) {
    const ax = JSON.stringify(x.faults.map((f) => f.action))
    const ay = JSON.stringify(y.faults.map((f) => f.action))
    if (ax !== ay) notes.push(`fault actions differ: ${ax} vs ${ay}`)
  }
  const { seed: _s1, ...loadA } = x.load
  const { seed: _s2, ...loadB } = y.load
  for (const key of Object.keys({ ...loadA, ...loadB }) as (keyof typeof loadA)[]) {
    differ(notes, `load.${key}`, loadA[key], loadB[key])
  }
  return notes
}

function machineDifferences(a: RunResult, b: RunResult): string[] {
  const notes: string[] = []
  if (!a.machine || !b.machine) return notes
  const x = a.machine
  const y = b.machine
  if (x.hostname !== y.hostname) notes.push(`machines differ: ${x.hostname} vs ${y.hostname}`)
  differ(notes, 'CPUs', `${x.cpus} × ${x.cpuModel}`, `${y.cpus} × ${y.cpuModel}`)
  differ(notes, 'memory (GiB)', x.memoryGiB, y.memoryGiB)
  differ(notes, 'Node.js', x.node, y.node)
  differ(notes, 'cdcb', x.cdcb, y.cdcb)
  return notes
}

/** Option differences listed per slot; the rest are counted, so a note stays one readable line. */
const MAX_OPTION_DIFFERENCES = 8

/**
 * The options that differ between two runs, each once as `path x vs y` (dot
 * paths into nested objects; lists compared whole). Keys starting with `$` are
 * skipped: no option schema has them, a library adds them (the AWS SDK marks
 * credentials with `$source`), and they change nothing the run measures.
 */
export function optionDifferences(x: unknown, y: unknown, path = ''): string[] {
  const plain = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
  if (plain(x) && plain(y)) {
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => !k.startsWith('$'))
    return keys.flatMap((key) => optionDifferences(x[key], y[key], path ? `${path}.${key}` : key))
  }
  const sx = JSON.stringify(x)
  const sy = JSON.stringify(y)
  return sx === sy ? [] : [`${path || '(all)'} ${sx ?? 'not set'} vs ${sy ?? 'not set'}`]
}

/** The comparison as a plain-text table with the gates and warnings below it; `names` are the two files. */
export function formatComparison(c: Comparison, names: { baseline: string; candidate: string }): string {
  const headers = columnHeaders(names.baseline, names.candidate)
  const width = Math.max(10, ...headers.map((header) => header.length))
  const lines = [
    `${'figure'.padEnd(18)}${headers[0].padStart(width + 2)}${headers[1].padStart(width + 2)}${'change'.padStart(12)}`,
  ]
  for (const row of c.figures) {
    if (row.baseline === null && row.candidate === null) continue
    const unit = row.figure.unit === '' ? '' : ` ${row.figure.unit}`
    lines.push(
      `${(row.figure.name + unit).padEnd(18)}${show(row.baseline, row.figure).padStart(width + 2)}${show(row.candidate, row.figure).padStart(width + 2)}${showPercent(row).padStart(12)}`,
    )
  }
  if (c.gates.length) {
    lines.push('')
    for (const g of c.gates) {
      const change =
        g.change === null
          ? 'no data'
          : g.gate.relative
            ? percentText(g.change)
            : `${g.change > 0 ? '+' : ''}${show(g.change, g.gate.figure)}${g.gate.figure.unit === '' ? '' : ` ${g.gate.figure.unit}`}`
      lines.push(`${g.crossed ? '✗ CROSSED' : '✓ held   '}  ${g.gate.source.padEnd(28)} change ${change}`)
    }
  }
  for (const note of c.unfair) lines.push(`warning: ${note}`)
  return lines.join('\n')
}

/**
 * The two files' column headers: their base names, or, when those are equal, as many of their last path
 * segments as tell them apart (`trialA/r.json`, `trialB/r.json`). Cutting a path at a fixed width instead
 * made two files of one folder look alike.
 */
export function columnHeaders(baseline: string, candidate: string): [string, string] {
  const segments = [baseline, candidate].map((file) => path.resolve(file).split(path.sep).filter(Boolean))
  const [a, b] = segments as [string[], string[]]
  const tail = (parts: string[], n: number) => parts.slice(-n).join('/')
  for (let n = 1; n <= Math.max(a.length, b.length); n++) {
    if (tail(a, n) !== tail(b, n)) return [tail(a, n), tail(b, n)]
  }
  // One file compared with itself.
  return [tail(a, 1), tail(b, 1)]
}

/** A figure's value: counts (no unit) as whole numbers with separators, never `31.0`. */
function show(value: number | null, figure: Figure): string {
  if (value === null) return '–'
  if (figure.unit === '' && Number.isInteger(value)) return formatCount(value)
  if (value === 0) return '0'
  if (Math.abs(value) >= 1000) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(3)
}

function showPercent(row: ComparedFigure): string {
  if (row.percent === null) return '–'
  return percentText(row.percent)
}

function percentText(percent: number): string {
  if (!Number.isFinite(percent)) return percent > 0 ? '+∞%' : '−∞%'
  if (Math.abs(percent) < 0.05) return '0.0%'
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`
}
