import type { Reporter } from '../plugin.js'
import { LATENCY_METRICS, type RunResult } from '../result.js'
import { formatActual } from '../slo/evaluate.js'
import { formatCount, formatRate } from '../units.js'

/** The end-of-run summary table, as plain text. */
export function formatSummary(result: RunResult, color = false): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
  const lines: string[] = []
  const verdict =
    result.status === 'passed'
      ? paint(32, 'PASSED')
      : result.status === 'interrupted'
        ? paint(33, 'INTERRUPTED')
        : paint(31, 'FAILED')
  lines.push(
    `cdcb ${result.runId} "${result.name}" — ${verdict}${result.reason ? ` (${result.reason})` : ''}`,
  )
  lines.push(
    `${result.source} → ${result.sink}, ${result.workers} worker${result.workers === 1 ? '' : 's'}, measured window ${result.measuredSeconds}s`,
  )
  if (result.shard) {
    // A shard's figures are its share of the run: say so before anyone reads them as the run's.
    const late = result.start?.lateMs
    lines.push(
      `shard ${result.shard.index}/${result.shard.count} of run ${result.runId}: its share of the run (cdcb merge adds the shards); started ${result.start?.actual ?? 'at an unknown time'}${late === null || late === undefined ? '' : ` (${late >= 0 ? '+' : ''}${late.toFixed(1)} ms from --start-at)`}`,
    )
  }
  lines.push(
    `time base: ${result.timeBase}` +
      (result.seed === undefined ? '' : `; seed ${result.seed} (--seed ${result.seed} repeats the plan)`),
  )
  lines.push('')
  const header = ['p50', 'p95', 'p99', 'p99.9', 'max', 'mean'].map((h) => h.padStart(9)).join('')
  lines.push(`  ${'ms'.padEnd(10)}${header}${'count'.padStart(11)}`)
  const latencyRow = (label: string, s: RunResult['metrics']['e2e']) => {
    // At least one space before every cell: a wide figure (a corrected count of 231,268,525) fused with its neighbour.
    const cells = [s.p50, s.p95, s.p99, s.p999, s.max, s.mean].map((v) => ` ${num(v).padStart(8)}`)
    return `  ${label.padEnd(10)}${cells.join('')} ${formatCount(s.count).padStart(10)}`
  }
  for (const metric of LATENCY_METRICS) {
    const s = result.metrics[metric]
    lines.push(latencyRow(metric, s))
    if (s.belowZero > 0 || s.aboveRange > 0) {
      lines.push(
        `  ${''.padEnd(10)}not in the percentiles: ${formatCount(s.belowZero)} below zero, ${formatCount(s.aboveRange)} above 1h`,
      )
    }
  }
  if (result.corrected) {
    lines.push(
      `  corrected for coordinated omission (expected interval ${num(result.corrected.expectedIntervalMs)} ms):`,
    )
    lines.push(latencyRow('e2e', result.corrected.e2e))
    lines.push(latencyRow('ack', result.corrected.ack))
    // The correction's own weight, in true numbers: what it added beside what was measured.
    const real = result.metrics.e2e.count
    const added = Math.max(0, result.corrected.e2e.count - real)
    lines.push(
      `  ${''.padEnd(10)}${formatCount(added)} corrected e2e samples added to ${formatCount(real)} real ones` +
        (real > 0 ? ` (${(added / real).toFixed(added / real >= 10 ? 0 : 2)}× as many)` : ''),
    )
  }
  // Results written before hops existed (merged or re-read files) have none.
  const hops = result.hops ?? []
  if (hops.length > 0) {
    // Hops sum to the way from cdcb's write to the last stamp; each row's resolution says how fine it is.
    lines.push(`  hops (stamps along the pipeline; hop.<name> in SLOs)`)
    for (const hop of hops) {
      const s = hop.latency
      const cells = [s.p50, s.p95, s.p99, s.p999, s.max, s.mean].map(
        (v) => ` ${(s.count ? num(v) : '–').padStart(8)}`,
      )
      lines.push(`  ${hop.name.padEnd(10)}${cells.join('')} ${formatCount(s.count).padStart(10)}`)
    }
    const notes = hops.map(
      (h) =>
        `${h.from}→${h.to} ±${h.resolutionMicros >= 1000 ? `${h.resolutionMicros / 1000}ms` : `${h.resolutionMicros}µs`}` +
        (h.belowZero ? `, ${formatCount(h.belowZero)} below 0 (clocks apart)` : ''),
    )
    lines.push(`  ${notes.join('; ')}`)
  }
  lines.push('')
  const r = result.rate
  lines.push(
    `  rate         target ${r.target === null ? '–' : formatRate(r.target)}, sent ${r.sent === null ? '–' : formatRate(r.sent)}, at sink ${r.achieved === null ? '–' : formatRate(r.achieved)}`,
  )
  const e = result.events
  // Short lines rather than one long one: the summary must fit an 80-column terminal.
  lines.push(
    `  events       sent ${formatCount(e.sent)}, acked ${formatCount(e.acked)}, observed ${formatCount(e.observed)}, errors ${formatCount(e.errors)}`,
  )
  lines.push(
    `  faults       lost ${e.lost === null ? '– (unknown)' : formatCount(e.lost)}, unresolved ${formatCount(e.unresolved)}, duplicates ${formatCount(e.duplicates)}, out of order ${formatCount(e.outOfOrder)}`,
  )
  // The late share is the measured window's; its count is the window's too, and the whole run's beside it when it differs.
  const w = result.window
  const late = w
    ? `late ${formatCount(w.late)} of ${formatCount(w.sent)} in the window (${(result.lateShare * 100).toFixed(2)}%)` +
      (e.late !== w.late ? `, ${formatCount(e.late)} in the whole run` : '')
    : `late ${formatCount(e.late)} in the whole run`
  lines.push(`               ${late}, foreign ${formatCount(e.foreign)}, corrupt ${formatCount(e.corrupt)}`)
  if (result.verification?.error !== undefined) {
    // Never "checked 0 keys": a verifier that failed verified nothing.
    const v = result.verification
    lines.push(
      `  verification not done: ${v.error}` +
        (v.checked > 0
          ? ` (other workers checked ${formatCount(v.checked)} keys, ${formatCount(v.mismatched)} mismatched)`
          : ''),
    )
  } else if (result.verification) {
    const v = result.verification
    lines.push(
      `  verification checked ${formatCount(v.checked)} keys, ${formatCount(v.mismatched)} mismatched` +
        (v.skipped > 0 ? `, ${formatCount(v.skipped)} skipped (a write failed)` : ''),
    )
    for (const m of v.mismatches.slice(0, 5))
      lines.push(`    key ${m.key}: ${m.problem}${m.detail ? ` (${m.detail})` : ''}`)
  }
  if (result.pipeline) {
    const p = result.pipeline
    lines.push(
      `  pipeline     ${p.name}: ${p.failed ? paint(31, 'FAILED') : 'healthy'}, ${formatCount(p.eventCount)} events`,
    )
    for (const ev of p.events.filter((e) => e.kind !== 'action').slice(0, 5))
      lines.push(`    ${ev.t === null ? 'setup' : `${ev.t.toFixed(1)}s`} ${ev.kind}: ${ev.message}`)
  }
  for (const fault of result.faults ?? []) {
    const when =
      fault.startedAt === null
        ? fault.error
          ? `failed: ${fault.error}`
          : 'never started (the run ended before its time)'
        : fault.for === null
          ? `${fault.startedAt.toFixed(1)}s (no undo)`
          : `${fault.startedAt.toFixed(1)}s → ${fault.endedAt === null ? 'not undone' : `${fault.endedAt.toFixed(1)}s`}${fault.cutShort ? ' (cut short: the run stopped)' : ''}`
    const error = fault.startedAt !== null && fault.error ? ` — ${fault.error}` : ''
    lines.push(`  fault        "${fault.name}" ${when}${error}`)
  }
  for (const r of result.recovery ?? []) {
    const recovered =
      r.time === null
        ? r.cutShort
          ? 'recovery unknown: the run stopped during the fault and undid it early'
          : r.interrupted
            ? 'recovery unknown: the run was stopped before it recovered'
            : 'never recovered within the run'
        : `recovered in ${r.time.toFixed(1)}s, catching up at ${r.catchUpRate === null ? '–' : formatRate(r.catchUpRate)} (backlog cleared at ${r.drainRate === null ? '–' : formatRate(r.drainRate)})`
    lines.push(`  recovery     ${r.label}: backlog max ${formatCount(r.backlogMax)}, ${recovered}`)
  }
  for (const err of result.errors.slice(0, 5))
    lines.push(`  error        ${err.kind} ×${formatCount(err.count)}: ${err.lastMessage}`)
  if (result.slo.checks.length) {
    lines.push('')
    lines.push('  SLO')
    for (const check of result.slo.checks) {
      if (check.status === 'skipped') {
        lines.push(`  ${paint(33, '– skip')}  ${check.expression.padEnd(28)} ${check.note ?? 'not measured'}`)
        continue
      }
      const mark = check.passed ? paint(32, '✓ pass') : paint(31, '✗ FAIL')
      // With no figure, the note (when there is one) says what there is instead: "no data" alone would hide it.
      const actual =
        check.actual === null
          ? (check.note ?? 'no data')
          : `${formatActual(check.actual, check.unit, check.threshold)}${check.note ? ` (${check.note})` : ''}`
      lines.push(`  ${mark}  ${check.expression.padEnd(28)} actual ${actual}`)
    }
  }
  for (const warning of result.warnings) lines.push(`  ${paint(33, 'warning')}: ${warning}`)
  return lines.join('\n')
}

function num(value: number | null): string {
  if (value === null) return '–'
  if (value === 0) return '0'
  if (Math.abs(value) >= 1000) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(3)
}

/** Prints the summary when the run ends. */
export function createSummaryReporter(write: (text: string) => void, color = false): Reporter {
  return {
    onRunEnd(result) {
      write(formatSummary(result, color))
    },
    // The summary above was printed before teardown; a teardown that failed changes the verdict: say so.
    onRunAmended(result) {
      // An interrupted run keeps its verdict; what its teardown left is said as a warning.
      if (result.exitCode === 130) {
        for (const warning of result.warnings.filter((w) => w.startsWith('teardown: ')))
          write(`  warning: ${warning}`)
        return
      }
      write(
        `cdcb ${result.runId} "${result.name}" — now FAILED${result.reason ? ` (${result.reason})` : ''}, exit ${result.exitCode}`,
      )
    },
  }
}
