import type { RunSnapshot } from '@cdcb/core'
import { Box, Text } from 'ink'
import type { History } from '../dashboard-store.js'
import { formatShare, formatShortRate } from '../format.js'
import { useColor } from '../hooks/use-color.js'
import { RateChart } from './RateChart.js'

/** Target vs achieved events/s now, the share of late operations, and a chart of the last minute. */
export function Throughput(props: {
  show: boolean
  snapshot: RunSnapshot | undefined
  history: History
  historyVersion: number
  rows: number
  points: number
}) {
  const { snapshot, history, rows, points } = props
  const paint = useColor()
  const seconds = history.seconds.last(points)
  const span = seconds.length > 1 ? Math.round(seconds[seconds.length - 1]! - seconds[0]!) : 0
  const keepingUp = !snapshot?.rate.target || snapshot.rate.achieved >= snapshot.rate.target * 0.95
  return (
    <Box flexDirection="column">
      {props.show ? (
        <Text wrap="truncate-end">
          <Text bold>Throughput</Text>
          {span > 0 ? ` last ${span}s ` : ' '}
          <Text color={paint('green')}>█</Text>
          {' achieved '}
          <Text bold color={paint(keepingUp ? 'green' : 'red')}>
            {snapshot ? `${formatShortRate(snapshot.rate.achieved)}/s` : '-'}
          </Text>
          {'  '}
          <Text color={paint('yellow')}>─</Text>
          {` target ${snapshot && snapshot.rate.target !== null ? `${formatShortRate(snapshot.rate.target)}/s` : '-'}`}
          {`  sent ${snapshot ? `${formatShortRate(snapshot.rate.sent)}/s` : '-'}`}
          {'  late '}
          <Text color={snapshot && snapshot.lateShare > 0.01 ? paint('yellow') : undefined}>
            {snapshot ? formatShare(snapshot.lateShare) : '-'}
          </Text>
        </Text>
      ) : null}
      {rows > 0 ? (
        <RateChart history={history} version={props.historyVersion} points={points} rows={rows} />
      ) : null}
    </Box>
  )
}
