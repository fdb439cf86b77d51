/**
 * The HTML report: one self-contained file (uPlot and its CSS inlined, the data
 * as JSON in the page), so it opens offline, from a CI artifact or an e-mail.
 * Figures come from the result only; what the result does not know shows "–".
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Recovery, RunResult } from '@cdcb/core'
import { formatCount, LATENCY_METRICS } from '@cdcb/core'
import { ResultFigures, redactSecrets } from '@cdcb/core/results'
import { decodeHistogram } from '@cdcb/core/runtime'

const require = createRequire(import.meta.url)
let uplotAssets: { js: string; css: string } | undefined

function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  }
  return uplotAssets
}

/** A stretch of intervals where the sink saw under a tenth of the planned rate: where a reader should look first. */
export interface Stall {
  /** Seconds since start of the first and after the last interval of the stretch. */
  readonly from: number
  readonly to: number
  readonly targetRate: number
  readonly achievedRate: number
}

/** Stretches of the load phase where the achieved rate fell below 10 % of the target (open model only). */
export function findStalls(result: RunResult): Stall[] {
  const stalls: Stall[] = []
  const rows = result.intervals
  let open: { from: number; target: number; achieved: number; n: number } | undefined
  let previousT = 0
  let previousTarget: number | undefined
  for (const row of rows) {
    const loading = row.phase === 'warmup' || row.phase === 'measure'
    // A row's target is the schedule's rate at its end; across a step the interval planned between the
    // two, so the lower one is what the sink should at least have seen (no false stall at a burst's start).
    // A closed model plans no rate (null), so nothing falls short of one.
    const target = row.targetRate ?? 0
    const planned = Math.min(target, previousTarget ?? target)
    previousTarget = target
    const stalled = loading && planned > 0 && row.achievedRate < planned * 0.1
    if (stalled) {
      open ??= { from: previousT, target: 0, achieved: 0, n: 0 }
      open.target += planned
      open.achieved += row.achievedRate
      open.n++
    } else if (open) {
      stalls.push(close(open, previousT))
      open = undefined
    }
    previousT = row.t
  }
  if (open) stalls.push(close(open, previousT))
  return stalls
}

function close(open: { from: number; target: number; achieved: number; n: number }, to: number): Stall {
  return {
    from: open.from,
    to,
    targetRate: Math.round(open.target / open.n),
    achievedRate: Math.round(open.achieved / open.n),
  }
}

/**
 * Sent minus observed at each interval's end, rebuilt from the per-interval
 * rates (rate × interval length is the interval's count, to the rates'
 * rounding): the backlog a burst or a stall builds, which in-flight (written
 * but unacknowledged) does not show.
 */
export function backlogFromRates(result: RunResult): number[] {
  let backlog = 0
  let previousT = 0
  return result.intervals.map((p) => {
    backlog += (p.sentRate - p.achievedRate) * (p.t - previousT)
    previousT = p.t
    return Math.max(0, Math.round(backlog))
  })
}

/**
 * The percentile spectrum of an encoded histogram, HdrHistogram-style: x is
 * 1/(1 − percentile) (so 10 is p90, 1000 is p99.9), y the latency in ms at it;
 * five points per halving of the remaining share, up to the maximum.
 */
export function percentileSpectrum(encoded: string | null | undefined): { x: number[]; y: number[] } {
  if (typeof encoded !== 'string') return { x: [], y: [] }
  const histogram = decodeHistogram(encoded)
  const x: number[] = []
  const y: number[] = []
  const total = histogram.totalCount
  if (total > 0) {
    for (let k = 0; ; k++) {
      const remaining = 0.5 ** (k / 5)
      const percentile = 100 * (1 - remaining)
      x.push(1 / remaining)
      y.push(histogram.getValueAtPercentile(percentile) / 1e3)
      // Stop once fewer than one sample is left beyond this point: the next is the maximum.
      if (remaining * total < 1) break
    }
    x.push(Math.max(total, x[x.length - 1]! * 2))
    y.push(histogram.maxValue / 1e3)
  }
  histogram.destroy()
  return { x, y }
}

/** Renders the report. Pure: the caller writes the file. */
export function renderHtml(result: RunResult): string {
  const assets = uplot()
  const stalls = findStalls(result)
  const series = {
    t: result.intervals.map((p) => p.t),
    phase: result.intervals.map((p) => p.phase),
    targetRate: result.intervals.map((p) => p.targetRate),
    sentRate: result.intervals.map((p) => p.sentRate),
    achievedRate: result.intervals.map((p) => p.achievedRate),
    // Nothing observed (or sent) in an interval means its percentiles are unknown: a gap, not a 0 ms point.
    e2eP50: result.intervals.map((p) => (p.achievedRate > 0 ? p.e2eP50 : null)),
    e2eP99: result.intervals.map((p) => (p.achievedRate > 0 ? p.e2eP99 : null)),
    lagP99: result.intervals.map((p) => (p.sentRate > 0 ? p.lagP99 : null)),
    inFlight: result.intervals.map((p) => p.inFlight),
    backlog: backlogFromRates(result),
    errors: result.intervals.map((p) => p.errors),
  }
  const hops = result.hops ?? []
  const spectra = Object.fromEntries([
    ...LATENCY_METRICS.map((m) => [m, percentileSpectrum(result.histograms?.[m])]),
    ...hops.map((h) => [`hop.${h.name}`, percentileSpectrum(h.histogram)]),
  ])
  const latencyNote = intervalLatencyNote(result)
  // Faults that ran, as bands in the charts beside the stalls (orange, labelled in the table below).
  const faults = (result.faults ?? [])
    .filter((f) => f.startedAt !== null)
    .map((f) => ({ name: f.name, from: f.startedAt!, to: f.endedAt ?? f.startedAt! }))
  const data = { series, spectra, stalls, faults, windows: failingWindows(result) }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cdcb ${esc(result.name)} — ${esc(result.status)}</title>
<style>${assets.css}
${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(result.name)} <span class="status ${esc(result.status)}">${esc(result.status.toUpperCase())}</span></h1>
<p>run <code>${esc(result.runId)}</code> · ${esc(result.source)} → ${esc(result.sink)} · ${plural(result.workers, 'worker')} · measured ${num(result.measuredSeconds)} s · ${esc(result.startedAt)} – ${esc(result.endedAt)}</p>
<p>time base: ${esc(result.timeBase ?? '–')}${result.reason ? ` · ${esc(result.reason)}` : ''}</p>
${shardLine(result)}
</header>
${stalls.length ? `<section class="stalls"><h2>Stalls</h2><ul>${stalls.map((s) => `<li>${num(s.from)} s – ${num(s.to)} s: the sink saw ${rate(s.achievedRate)} while ${rate(s.targetRate)} were planned</li>`).join('')}</ul></section>` : ''}
<section><h2>Summary</h2>
<table class="figures">
<tr><th>rate</th><td>target ${rate(result.rate.target)}</td><td>sent ${rate(result.rate.sent)}</td><td>achieved ${rate(result.rate.achieved)}</td></tr>
</table>
${latencyTable(result)}
${hopsTable(result)}
${sloTable(result)}
</section>
<section><h2>Throughput over time</h2><div class="chart" id="chart-throughput"></div></section>
<section><h2>Latency per interval</h2>${latencyNote.text ? `<p class="note latency-note">${esc(latencyNote.text)}</p>` : ''}${latencyNote.chart ? '<div class="chart" id="chart-latency"></div>' : ''}</section>
<section><h2>Backlog, in flight and errors per interval</h2><p class="note">backlog: sent − observed so far, from the per-interval rates; in flight: written, not yet acknowledged by the source.</p><div class="chart" id="chart-backlog"></div></section>
<section><h2>Percentile spectrum</h2><p class="note">Latency at each percentile of the measured window, from the encoded histograms; the x axis is 1/(1 − percentile), log scale.</p>
<div class="spectra">${Object.keys(spectra)
    .map((m) => `<div class="chart spectrum" id="chart-spectrum-${esc(m)}"><h3>${esc(m)}</h3></div>`)
    .join('')}</div></section>
${eventsSection(result)}
${scenarioSection(result)}
${warningsSection(result)}
<section><h2>Config</h2>${configSection(result)}</section>
<section><h2>Machine</h2>${machineSection(result)}</section>
<script>${assets.js.replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="cdcb-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${CLIENT}</script>
</body>
</html>
`
}

function latencyTable(result: RunResult): string {
  const stats = ['p50', 'p95', 'p99', 'p999', 'max', 'mean'] as const
  const rows = LATENCY_METRICS.map((m) => {
    const s = result.metrics?.[m]
    const known = s !== null && s !== undefined && s.count > 0
    return `<tr><th>${m}</th>${stats.map((k) => `<td>${known ? num(s[k]) : '–'}</td>`).join('')}<td>${s ? count(s.count) : '–'}</td></tr>`
  })
  return `<table class="latency"><tr><th>ms</th>${stats.map((s) => `<th>${s === 'p999' ? 'p99.9' : s}</th>`).join('')}<th>count</th></tr>${rows.join('')}</table>`
}

/** Each hop's latency statistics, from its histogram as compare and the CSV read them; nothing without hops. */
function hopsTable(result: RunResult): string {
  const hops = result.hops ?? []
  if (hops.length === 0) return ''
  const figures = new ResultFigures(result)
  const stats = ['p50', 'p95', 'p99', 'p999', 'max', 'mean'] as const
  const rows = hops.map((h) => {
    const n = figures.get(`hop.${h.name}.count`) ?? 0
    const cells = stats.map((k) => `<td>${n > 0 ? num(figures.get(`hop.${h.name}.${k}`)) : '–'}</td>`)
    const below = h.belowZero > 0 ? `; ${count(h.belowZero)} below zero, left out` : ''
    return `<tr><th>${esc(h.name)}</th>${cells.join('')}<td>${count(n)}</td><td class="note">${esc(h.from)} → ${esc(h.to)}, resolution ${num(h.resolutionMicros / 1e3)} ms${esc(below)}</td></tr>`
  })
  return `<h3>Hops</h3><p class="note">Where the time went between stamps along the pipeline (hop.&lt;name&gt; in SLOs and compare).</p><table class="hops"><tr><th>ms</th>${stats.map((s) => `<th>${s === 'p999' ? 'p99.9' : s}</th>`).join('')}<th>count</th><th></th></tr>${rows.join('')}</table>`
}

/**
 * Why the per-interval latency chart is partly or wholly blank, and whether to
 * draw it. A merged row that added several inputs has no percentiles: results
 * keep no per-interval histograms, and percentiles do not add, so the merge
 * cannot recompute them (see each input's own report).
 */
export function intervalLatencyNote(result: RunResult): { chart: boolean; text: string } {
  const rows = result.intervals
  const known = rows.some((p) => p.e2eP50 !== null || p.e2eP99 !== null || p.lagP99 !== null)
  if (!result.mergedFrom || result.mergedFrom.length < 2) return { chart: true, text: '' }
  const why =
    "per-interval latency is not kept when runs are merged: a result keeps no per-interval histograms and percentiles do not add, so an interval several inputs shared has none — see each input's own report"
  return known ? { chart: true, text: `Gaps: ${why}.` } : { chart: false, text: `No chart: ${why}.` }
}

/** A shard says it is one, with its start; merged shards say how far apart they started. */
function shardLine(result: RunResult): string {
  if (result.shard) {
    const late = result.start?.lateMs
    const lateText =
      late === null || late === undefined
        ? ''
        : ` (${late >= 0 ? '+' : ''}${late.toFixed(1)} ms from --start-at)`
    return `<p class="shard">shard ${result.shard.index}/${result.shard.count} of run <code>${esc(result.runId)}</code>: its share of the run (cdcb merge adds the shards) · requested start ${esc(result.start?.requested ?? 'none')} · started ${esc(result.start?.actual ?? 'at an unknown time')}${lateText}</p>`
  }
  if (result.shards) {
    const spread = result.shards.actualStartSpreadMs
    return `<p class="shard">merged from the ${result.shards.count} shards of run <code>${esc(result.runId)}</code> · their actual starts spread over ${spread === null ? 'an unknown time (an input does not record its start)' : `${spread.toFixed(3)} ms, each by its own machine's clock`}</p>`
  }
  return ''
}

/** The run's config; a merge of inputs whose configs differ has none of its own, so each input's is shown. */
function configSection(result: RunResult): string {
  const show = (config: unknown) => `<pre>${esc(JSON.stringify(redactSecrets(config), null, 2))}</pre>`
  if (result.config) return show(result.config)
  const parts = (result.mergedFrom ?? []).filter((p) => p.config)
  if (parts.length === 0) return '<p>not recorded in this result</p>'
  return `<p class="note">The merged inputs' configs differ: each input's is shown, none is the merged run's.</p>${parts.map((p) => `<h3>${esc(p.file)}</h3>${show(p.config)}`).join('')}`
}

/**
 * The failing windows of windowed SLOs on the charts' time axis (seconds since
 * the start: the windows' offsets are from the measured window's start, after
 * the warmup); empty for a result without its config (older files).
 */
export function failingWindows(result: RunResult): { expression: string; from: number; to: number }[] {
  const warmup = result.config?.load.warmupSeconds
  if (warmup === undefined) return []
  return result.slo.checks.flatMap((c) =>
    (c.windows?.failing ?? []).map((w) => ({
      expression: c.expression,
      from: warmup + w.start,
      to: warmup + w.end,
    })),
  )
}

function sloTable(result: RunResult): string {
  if (!result.slo.checks.length) return '<p>No SLOs were set.</p>'
  const rows = result.slo.checks.map((c) => {
    // A check the run never measured (an interrupt, a drain cut short) is skipped, not failed.
    const status = c.status ?? (c.passed ? 'passed' : 'failed')
    const mark = status === 'skipped' ? '– skip' : status === 'passed' ? '✓ pass' : '✗ FAIL'
    const cls = status === 'skipped' ? 'skip' : status === 'passed' ? 'pass' : 'fail'
    return `<tr class="${cls}"><td>${mark}</td><td><code>${esc(c.expression)}</code></td><td>${c.actual === null ? 'no data' : `${c.unit === '' ? count(c.actual) : num(c.actual)}${c.unit ? ` ${esc(c.unit)}` : ''}`}</td><td class="note">${esc(c.note ?? '')}</td></tr>`
  })
  const windowed = result.slo.checks.some((c) => c.windows?.failing.length)
  return `<table class="slo"><tr><th></th><th>SLO</th><th>actual</th><th></th></tr>${rows.join('')}</table>${windowed ? '<p class="note">Failing windows of windowed SLOs are shaded purple in the charts above.</p>' : ''}`
}

function eventsSection(result: RunResult): string {
  const e = result.events as unknown as Record<string, number>
  const rows = Object.entries(e).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${count(v)}</td></tr>`)
  const errors = (result.errors ?? []).map(
    (err) => `<li><code>${esc(err.kind)}</code> ×${count(err.count)}: ${esc(err.lastMessage)}</li>`,
  )
  const v = result.verification
  const verification = v?.error
    ? `<p>verification not done: ${esc(v.error)}</p>`
    : v
      ? `<p>verification: ${count(v.checked)} keys checked, ${count(v.mismatched)} mismatched, ${count(v.skipped ?? 0)} skipped</p>${
          v.mismatches.length
            ? `<ul>${v.mismatches
                .slice(0, 20)
                .map(
                  (m) => `<li>key ${m.key}: ${esc(m.problem)}${m.detail ? ` (${esc(m.detail)})` : ''}</li>`,
                )
                .join('')}</ul>`
            : ''
        }`
      : ''
  return `<section><h2>Events and faults</h2><table class="events">${rows.join('')}<tr><th>late share</th><td>${(result.lateShare * 100).toFixed(2)} %</td></tr></table>
${errors.length ? `<h3>Errors</h3><ul>${errors.join('')}</ul>` : ''}${verification}
${pluginsTable(result)}</section>`
}

/**
 * What each plugin part reported of itself, under a heading row naming the part
 * and its plugin: a memory source and sink both count inserts, updates and
 * deletes, and unlabelled the two lists read as one list twice.
 */
function pluginsTable(result: RunResult): string {
  const parts: Array<[string, string, Array<[string, number]>]> = [
    ['source', result.source, Object.entries(result.plugins?.source ?? {})],
    ['sink', result.sink, Object.entries(result.plugins?.sink ?? {})],
  ]
  if (result.pipeline)
    parts.push(['pipeline', result.pipeline.name, [['events reported', result.pipeline.eventCount]]])
  const shown = parts.filter(([, , figures]) => figures.length > 0)
  if (!shown.length) return ''
  const sections = shown.map(
    ([part, name, figures]) =>
      `<tr><th colspan="2" class="part">${part}: ${esc(name)}</th></tr>${figures.map(([k, n]) => `<tr><th>${esc(k)}</th><td>${count(n)}</td></tr>`).join('')}`,
  )
  return `<h3>Reported by the plugins</h3><table class="plugins">${sections.join('')}</table>`
}

function scenarioSection(result: RunResult): string {
  const faults = result.faults ?? []
  const recovery = result.recovery ?? []
  if (!faults.length && !recovery.length) return ''
  const s = (v: number | null) => (v === null ? '–' : `${num(v)} s`)
  return `<section><h2>Faults and recovery</h2><p class="note">Faults that ran are shaded orange in the charts above.</p><p>backlog max: ${count(result.backlogMax)}</p>
${faults.length ? `<table class="faults"><tr><th>fault</th><th>planned at</th><th>started</th><th>ended</th><th>error</th></tr>${faults.map((f) => `<tr><th>${esc(f.name)}</th><td>${s(f.at)}</td><td>${s(f.startedAt)}</td><td>${s(f.endedAt)}</td><td>${esc(f.error ?? '')}</td></tr>`).join('')}</table>` : ''}
${recovery.length ? `<table class="recovery"><tr><th>episode</th><th>from</th><th>to</th><th>backlog max</th><th>recovered after</th><th>catch-up</th><th>backlog cleared at</th></tr>${recovery.map((r) => `<tr><th>${esc(r.label)}</th><td>${s(r.start)}</td><td>${s(r.end)}</td><td>${count(r.backlogMax)}</td><td>${recoveredAfter(r)}</td><td>${rate(r.catchUpRate)}</td><td>${rate(r.drainRate)}</td></tr>`).join('')}</table>` : ''}</section>`
}

function warningsSection(result: RunResult): string {
  if (!result.warnings.length) return '<section><h2>Warnings</h2><p>none</p></section>'
  return `<section class="warnings"><h2>Warnings</h2><ul>${result.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`
}

function machineSection(result: RunResult): string {
  const parts = result.mergedFrom
    ? `<h3>Merged from</h3><ul>${result.mergedFrom.map((p) => `<li>${esc(p.file)}: run ${esc(p.runId)} started ${esc(p.startedAt)}, ${esc(p.status)}${p.machine ? ` on ${esc(p.machine)}` : ''}</li>`).join('')}</ul>`
    : ''
  const m = result.machine
  if (!m) return `<p>not recorded in this result</p>${parts}`
  return `<table>${Object.entries(m)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('')}</table>${parts}`
}

/** Events per second, whole numbers with separators (a rate's decimals are noise). */
function rate(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  return `${Math.round(value).toLocaleString('en-US')}/s`
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A count: a whole number with separators, never "5.000" (a plugin's non-integer figure keeps its decimals). */
function count(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  return Number.isInteger(value) ? formatCount(value) : num(value)
}

function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`
}

/** A measured quantity (ms, s, events/s): decimals by magnitude. Counts go through `count`. */
/** A recovery's time as the summary says it: unknown when the run's stop came first or cut its fault short. */
function recoveredAfter(r: Recovery): string {
  if (r.time !== null) return `${num(r.time)} s`
  if (r.cutShort) return 'unknown (the run stopped during the fault and undid it early)'
  return r.interrupted ? 'unknown (the run was stopped first)' : 'never'
}

function num(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  if (value === 0) return '0'
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(3)
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#1b1f24}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:14px;margin:8px 0 4px}
.status{font-size:14px;padding:2px 8px;border-radius:4px;color:#fff;vertical-align:middle}
.status.passed{background:#1a7f37}.status.failed,.status.error{background:#cf222e}.status.interrupted{background:#9a6700}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eaeef2}
th:first-child{text-align:left} tr.fail td{color:#cf222e;font-weight:600} tr.pass td:first-child{color:#1a7f37} tr.skip td:first-child{color:#9a6700}
.stalls{background:#fff1f0;border:1px solid #cf222e;padding:4px 12px;border-radius:6px}
.warnings li{color:#9a6700} pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}
.spectra{display:grid;grid-template-columns:1fr 1fr;gap:12px} .note{color:#57606a}
`

/** Runs in the page: draws the charts from the embedded data with uPlot; marks stalls in red, faults orange, failing SLO windows purple. */
const CLIENT = `
(function () {
  var data = JSON.parse(document.getElementById('cdcb-data').textContent);
  var s = data.series;
  var drawn = 0;
  function width(el) { return Math.max(320, el.clientWidth || 800); }
  function stallBands(u) {
    var ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(207,34,46,0.15)';
    data.stalls.forEach(function (st) {
      var x0 = u.valToPos(st.from, 'x', true), x1 = u.valToPos(st.to, 'x', true);
      ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
    });
    ctx.fillStyle = 'rgba(191,135,0,0.18)';
    data.faults.forEach(function (f) {
      var x0 = u.valToPos(f.from, 'x', true), x1 = u.valToPos(f.to, 'x', true);
      ctx.fillRect(x0, u.bbox.top, Math.max(3, x1 - x0), u.bbox.height);
    });
    ctx.fillStyle = 'rgba(130,80,223,0.12)';
    data.windows.forEach(function (w) {
      var x0 = u.valToPos(w.from, 'x', true), x1 = u.valToPos(w.to, 'x', true);
      ctx.fillRect(x0, u.bbox.top, Math.max(3, x1 - x0), u.bbox.height);
    });
    ctx.restore();
  }
  function timeChart(id, labels, columns, colors, unit) {
    var el = document.getElementById(id);
    if (!el || s.t.length === 0) { if (el) el.textContent = 'no intervals recorded'; return; }
    var series = [{ label: 's' }];
    labels.forEach(function (label, i) { series.push({ label: label, stroke: colors[i], width: 1.5, spanGaps: false }); });
    new uPlot({
      width: width(el), height: 260,
      scales: { x: { time: false } },
      axes: [{ label: 'seconds since start' }, { label: unit, size: 70 }],
      series: series,
      hooks: { drawClear: [stallBands] },
    }, [s.t].concat(columns), el);
    drawn++;
  }
  // A closed model plans no rate: no target line rather than one at 0.
  if (s.targetRate.some(function (v) { return v !== null; })) timeChart('chart-throughput', ['target', 'sent', 'achieved'], [s.targetRate, s.sentRate, s.achievedRate], ['#8c959f', '#0969da', '#1a7f37'], 'events/s');
  else timeChart('chart-throughput', ['sent', 'achieved'], [s.sentRate, s.achievedRate], ['#0969da', '#1a7f37'], 'events/s');
  timeChart('chart-latency', ['e2e p50', 'e2e p99', 'lag p99'], [s.e2eP50, s.e2eP99, s.lagP99], ['#0969da', '#cf222e', '#9a6700'], 'ms');
  timeChart('chart-backlog', ['backlog', 'in flight', 'errors'], [s.backlog, s.inFlight, s.errors], ['#bf8700', '#8250df', '#cf222e'], 'events');
  // Ticks at 1/(1 − p) = 1, 10, 100, …: the 0th, 90th, 99th, 99.9th … percentiles.
  function decades(u, axis, min, max) {
    var ticks = [1];
    for (var v = 10; v <= max * 1.0001; v *= 10) ticks.push(v);
    return ticks.filter(function (v) { return v >= min / 1.0001 && v <= max * 1.0001; });
  }
  function percentLabel(v) { var p = 100 * (1 - 1 / v); return p <= 0 ? '0%' : +p.toPrecision(8) + '%'; }
  Object.keys(data.spectra).forEach(function (metric) {
    var el = document.getElementById('chart-spectrum-' + metric);
    var sp = data.spectra[metric];
    if (sp.x.length === 0) { el.appendChild(document.createTextNode('no samples')); return; }
    new uPlot({
      width: Math.max(280, (el.clientWidth || 560)), height: 240,
      scales: { x: { time: false, distr: 3, log: 10 } },
      axes: [{ label: 'percentile', splits: decades, values: function (u, vals) { return vals.map(percentLabel); } }, { label: 'ms', size: 70 }],
      legend: { show: false },
      series: [{ label: '1/(1-p)' }, { label: metric, stroke: '#0969da', width: 1.5, points: { show: false } }],
    }, [sp.x, sp.y], el);
    drawn++;
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`
