import type { LatencySummary, RunSnapshot } from '@cdcb/core'
import { Box, Text } from 'ink'
import type { History } from '../dashboard-store.js'
import { formatMs } from '../format.js'
import { useColor } from '../hooks/use-color.js'
import { LATENCY_CELL_WIDTH, LATENCY_LABEL_WIDTH, type LatencyColumns } from '../layout.js'
import { Sparkline } from './Sparkline.js'

type Stat = 'p50' | 'p95' | 'p99' | 'p999' | 'max'
const STAT_LABELS: Record<Stat, string> = { p50: 'p50', p95: 'p95', p99: 'p99', p999: 'p99.9', max: 'max' }
const ALL: readonly Stat[] = ['p50', 'p95', 'p99', 'p999', 'max']

const COLUMNS: Record<LatencyColumns, { now: readonly Stat[]; run: readonly Stat[] }> = {
  both: { now: ALL, run: ALL },
  'now+p99': { now: ALL, run: ['p99'] },
  narrow: { now: ['p50', 'p99', 'max'], run: ['p99'] },
}

const METRICS = ['e2e', 'ack', 'lag'] as const

/**
 * e2e, ack and lag percentiles for the last interval and the measured run so
 * far, then each hop's when the sink declares stamps (`hop.<name>`, in pipeline
 * order), and e2e p99 over time.
 */
export function Latency(props: {
  snapshot: RunSnapshot | undefined
  history: History
  historyVersion: number
  /** 2: title and column names; 1: column names; 0: no table. */
  headerRows: 0 | 1 | 2
  columns: LatencyColumns
  rows: 1 | 3
  /** Hop rows to draw (the first hops of `snapshot.hops`). */
  hopRows?: number
  sparkline: boolean
  points: number
}) {
  const { snapshot, columns, rows } = props
  const paint = useColor()
  const { now, run } = COLUMNS[columns]
  const nowWidth = now.length * LATENCY_CELL_WIDTH
  const runWidth = run.length * LATENCY_CELL_WIDTH
  const cells = (stats: readonly Stat[], summary: LatencySummary | undefined) =>
    stats
      .map((s) => formatMs(summary?.[s] ?? 0, (summary?.count ?? 0) > 0).padStart(LATENCY_CELL_WIDTH))
      .join('')
  const heads = (stats: readonly Stat[]) =>
    stats.map((s) => STAT_LABELS[s].padStart(LATENCY_CELL_WIDTH)).join('')
  if (props.headerRows === 0) return null
  const e2eMax = Math.max(0, ...props.history.e2eP99.last(props.points))
  const hops = (snapshot?.hops ?? []).slice(0, props.hopRows ?? 0)
  // Hop names are the sink's (connector, kafka, …): the label column widens to hold them.
  const labelWidth = Math.max(LATENCY_LABEL_WIDTH, ...hops.map((h) => h.name.length + 1))
  return (
    <Box flexDirection="column">
      {props.headerRows === 2 ? (
        <Text wrap="truncate-end">
          <Text bold>{'Latency'.padEnd(labelWidth + 1)}</Text>
          <Text color={paint('gray')}>
            {'ms, last interval'.padStart(nowWidth - 1)}
            {'   '}
            {(run.length === 1 ? 'run' : 'ms, measured so far').padStart(runWidth)}
          </Text>
        </Text>
      ) : null}
      <Text wrap="truncate-end" color={paint('gray')}>
        {' '.repeat(labelWidth)}
        {heads(now)} │ {heads(run)}
      </Text>
      {METRICS.slice(0, rows).map((metric) => (
        <Text key={metric} wrap="truncate-end">
          {metric.padEnd(labelWidth)}
          {cells(now, snapshot?.interval[metric])}
          <Text color={paint('gray')}> │ </Text>
          {cells(run, snapshot?.total[metric])}
        </Text>
      ))}
      {hops.map((hop) => (
        <Text key={`hop.${hop.name}`} wrap="truncate-end">
          <Text color={paint('cyan')}>{hop.name.padEnd(labelWidth)}</Text>
          {cells(now, hop.interval)}
          <Text color={paint('gray')}> │ </Text>
          {cells(run, hop.total)}
        </Text>
      ))}
      {props.sparkline ? (
        <Text wrap="truncate-end">
          {'e2e p99'.padEnd(labelWidth + 2)}
          <Sparkline
            series={props.history.e2eP99}
            version={props.historyVersion}
            points={props.points}
            color={paint('cyan')}
          />
          <Text color={paint('gray')}>{` top ${formatMs(e2eMax)}ms`}</Text>
        </Text>
      ) : null}
    </Box>
  )
}
