import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { summarize } from '../metrics/histograms.js'
import { LATENCY_METRICS, type LatencySummary, type RunResult } from '../result.js'
import { decodeResultHistogram } from './figures.js'

const count = z.number().int().nonnegative()
const measured = z.number().nullable()
const summary = z.object({ count: count }).passthrough().nullable()

/**
 * The fields `cdcb compare`, `merge`, `report` and the CSV writer read: checked
 * so a wrong file fails with the field's name rather than a NaN in a report.
 * Unknown fields pass through, so newer writers' additions survive a merge.
 */
const resultSchema = z
  .object({
    schemaVersion: z.literal(1),
    runId: z.string(),
    name: z.string(),
    status: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    workers: count,
    source: z.string(),
    sink: z.string(),
    slo: z.object({
      passed: z.boolean(),
      checks: z.array(z.object({ expression: z.string() }).passthrough()),
    }),
    metrics: z.object(Object.fromEntries(LATENCY_METRICS.map((m) => [m, summary]))).passthrough(),
    rate: z.object({ target: measured, sent: measured, achieved: measured }).passthrough(),
    events: z
      .object({
        sent: count,
        acked: count,
        observed: count,
        lost: count.nullable(),
        duplicates: count,
        outOfOrder: count,
        late: count,
        errors: count,
        corrupt: count,
      })
      .passthrough(),
    measuredSeconds: z.number().nonnegative(),
    intervals: z.array(z.object({ t: z.number() }).passthrough()),
    histograms: z
      .object(Object.fromEntries(LATENCY_METRICS.map((m) => [m, z.string().nullable()])))
      .passthrough(),
    warnings: z.array(z.string()),
    shard: z.object({ index: count, count: z.number().int().positive() }).optional(),
    start: z.object({ actualMicros: z.number() }).passthrough().optional(),
    hops: z.array(z.object({ name: z.string(), histogram: z.string() }).passthrough()).optional(),
  })
  .passthrough()

/** Parses a result file's text; throws ConfigError (exit 2) naming the file, the field, the problem and the fix. */
export function parseResult(text: string, file: string): RunResult {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(
      `${file}: not JSON (${(error as Error).message}) — pass a result written by cdcb run --out`,
    )
  }
  // A JSON file that is not a cdcb result at all is named as such, not by its first missing field.
  if (typeof data !== 'object' || data === null || !('schemaVersion' in data) || !('runId' in data)) {
    throw new ConfigError(
      `${file}: not a cdcb result (no schemaVersion and runId) — pass a result written by cdcb run --out or cdcb merge`,
    )
  }
  const parsed = resultSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.') || '(top level)'
    const hint =
      issue.path[0] === 'schemaVersion'
        ? 'this cdcb reads schemaVersion 1 results'
        : 'pass a result written by cdcb run --out or cdcb merge'
    throw new ConfigError(`${file}: ${field}: ${issue.message} — ${hint}`)
  }
  // The input as written, not zod's copy: that one reorders fields, and a report from a saved result must equal the run's.
  const result = data as RunResult
  checkHistograms(result, file)
  return result
}

/**
 * Decodes every histogram once, so a damaged one (bad base64, cut short) is
 * bad input named here (file and histogram, exit 2) rather than a crash in
 * whichever of report, compare or merge decodes it first; and checks each
 * against the result's own figures, since report reads `metrics` while compare
 * and merge read the histograms: one copied over another still decodes, and
 * would have each command show other numbers.
 */
function checkHistograms(result: RunResult, file: string): void {
  const encoded: Array<[string, string | null, LatencySummary | null | undefined, string]> = [
    ...LATENCY_METRICS.map((m): [string, string | null, LatencySummary | null, string] => [
      `histograms.${m}`,
      result.histograms[m],
      result.metrics[m],
      `metrics.${m}`,
    ]),
    ...(result.hops ?? []).map((h, i): [string, string, LatencySummary | undefined, string] => [
      `hops[${i}].histogram (hop ${h.name})`,
      h.histogram,
      h.latency,
      `hops[${i}].latency`,
    ]),
  ]
  for (const [field, text, figures, figuresField] of encoded) {
    if (typeof text !== 'string') continue
    const histogram = decodeResultHistogram(text, file, field)
    const mismatch = summaryMismatch(summarize(histogram), figures)
    histogram.destroy()
    if (mismatch)
      throw new ConfigError(
        `${file}: ${field}: does not match ${figuresField} (${mismatch}) — the file is damaged; write it again with cdcb run --out or cdcb merge`,
      )
  }
}

/** Percentiles HDR's 3 significant digits (and the µs the figures are rounded to) keep apart by no more than this. */
const RELATIVE_PRECISION = 0.002
const ABSOLUTE_PRECISION_MS = 0.002

/** How a histogram's summary differs from the figures written beside it (`count 3 vs 4`); undefined when it matches. */
function summaryMismatch(
  decoded: LatencySummary,
  figures: LatencySummary | null | undefined,
): string | undefined {
  // An older writer may leave a figure out: there is nothing to check against.
  if (figures === undefined) return undefined
  const count = figures?.count ?? 0
  if (decoded.count !== count) return `count ${decoded.count} vs ${count}`
  if (figures === null) return undefined
  for (const key of ['p50', 'p95', 'p99', 'p999'] as const) {
    const x = decoded[key]
    const y = figures[key]
    if (x === null || y === null || y === undefined) continue
    if (Math.abs(x - y) > Math.max(ABSOLUTE_PRECISION_MS, RELATIVE_PRECISION * Math.max(x, y)))
      return `${key} ${x} ms vs ${y} ms`
  }
  return undefined
}

/** Reads and checks a result file; a missing file is bad input too (exit 2). */
export async function readResultFile(file: string): Promise<RunResult> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(
      `${file}: cannot read (${code ?? (error as Error).message}) — check the path to the result file`,
    )
  }
  return parseResult(text, file)
}
