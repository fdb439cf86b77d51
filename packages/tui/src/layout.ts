/**
 * How the dashboard fits a terminal: which rows and columns it can afford. The
 * dashboard stays one row shorter than the terminal, because Ink clears the
 * whole screen on every frame once its output reaches the terminal's height.
 */

/** Which latency percentiles fit across: the widest set that fits the width wins. */
export type LatencyColumns = 'both' | 'now+p99' | 'narrow'

export interface Layout {
  readonly width: number
  /** Run id, name and pipeline. */
  readonly header: boolean
  /** The throughput line (target, achieved, late). */
  readonly throughput: boolean
  /** Rows of the throughput chart; 0 hides it. */
  readonly chartRows: number
  /** Points (columns) of the throughput chart and of the e2e p99 sparkline. */
  readonly chartPoints: number
  /** Latency header rows: 2 (title and column names), 1 (column names) or 0 (no latency table). */
  readonly latencyHeaderRows: 0 | 1 | 2
  /** e2e, ack and lag rows (3), or e2e alone (1). */
  readonly latencyRows: 1 | 3
  readonly latencyColumns: LatencyColumns
  /** Hop rows under the latency rows (one per hop the sink declares, as many as fit). */
  readonly hopRows: number
  readonly sparkline: boolean
  /** SLO lines under the SLO title; fewer than the SLOs means the last line says how many more. */
  readonly sloRows: number
  /** Counter rows: 2, 1 (all on one line) or 0. */
  readonly counterRows: 0 | 1 | 2
  readonly errorRows: number
  readonly footer: boolean
}

export const LATENCY_LABEL_WIDTH = 6
export const LATENCY_CELL_WIDTH = 7
export const CHART_GUTTER_WIDTH = 7
const MAX_POINTS = 60
const MIN_CHART_ROWS = 3
const MAX_CHART_ROWS = 8
const FIRST_SLO_ROWS = 3
const FIRST_ERROR_ROWS = 2
const MAX_ERROR_ROWS = 4

const LATENCY_WIDTHS: ReadonlyArray<[LatencyColumns, number]> = [
  ['both', LATENCY_LABEL_WIDTH + 10 * LATENCY_CELL_WIDTH + 3],
  ['now+p99', LATENCY_LABEL_WIDTH + 6 * LATENCY_CELL_WIDTH + 3],
  ['narrow', LATENCY_LABEL_WIDTH + 4 * LATENCY_CELL_WIDTH + 3],
]

/**
 * Plans the rows and columns for a terminal of `width` × `height` cells. Rows
 * go out in order of what matters at a glance: the phase, the SLO verdict and
 * the keys first, then throughput, counts, latency, the first SLOs and a small
 * chart; what is left grows the chart.
 */
export function planLayout(input: {
  width: number
  height: number
  sloCount: number
  errorCount: number
  /** Hops the sink declares; 0 without stamps. */
  hopCount?: number
}): Layout {
  const width = Math.max(1, Math.floor(input.width))
  // The phase line and the SLO title are always drawn.
  let rest = Math.max(0, Math.floor(input.height) - 1 - 2)
  const take = (rows: number, atLeast = 1): number => {
    if (rows < atLeast || rest < atLeast) return 0
    const got = Math.min(rows, rest)
    rest -= got
    return got
  }
  const footer = take(1) === 1
  const throughput = take(1) === 1
  let counterRows = take(1)
  const header = take(1) === 1
  // Column names and the e2e row, or no latency table at all.
  let latencyHeaderRows = take(2, 2)
  const firstSlos = take(Math.min(input.sloCount, FIRST_SLO_ROWS))
  let chartRows = take(MIN_CHART_ROWS, MIN_CHART_ROWS)
  const latencyExtra = latencyHeaderRows ? take(2, 2) : 0
  if (latencyHeaderRows) latencyHeaderRows += take(1)
  // Where the time goes, when the sink can tell: right after e2e, ack and lag.
  const hopRows = latencyHeaderRows ? take(input.hopCount ?? 0) : 0
  if (counterRows) counterRows += take(1)
  const firstErrors = take(Math.min(input.errorCount, FIRST_ERROR_ROWS))
  const moreSlos = take(input.sloCount - firstSlos)
  const sparkline = latencyHeaderRows > 0 && take(1) === 1
  const moreErrors = take(Math.min(input.errorCount, MAX_ERROR_ROWS) - firstErrors)
  if (chartRows) chartRows += take(MAX_CHART_ROWS - chartRows)
  const latencyColumns = LATENCY_WIDTHS.find(([, needed]) => needed <= width)?.[0] ?? 'narrow'
  return {
    width,
    header,
    throughput,
    chartRows,
    chartPoints: Math.max(1, Math.min(MAX_POINTS, width - CHART_GUTTER_WIDTH - 1)),
    latencyHeaderRows: Math.max(0, latencyHeaderRows - 1) as 0 | 1 | 2,
    latencyRows: latencyExtra ? 3 : 1,
    latencyColumns,
    hopRows,
    sparkline,
    sloRows: firstSlos + moreSlos,
    counterRows: counterRows as 0 | 1 | 2,
    errorRows: firstErrors + moreErrors,
    footer,
  }
}
