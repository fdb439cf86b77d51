import type { RunSnapshot } from '@cdcb/core'
import { formatCount } from '@cdcb/core'
import { Box, Text } from 'ink'
import { useColor } from '../hooks/use-color.js'

/** Event counters, then one row per error kind with its last message. */
export function Counters(props: { snapshot: RunSnapshot | undefined; rows: 0 | 1 | 2; errorRows: number }) {
  const { snapshot, rows, errorRows } = props
  const paint = useColor()
  const e = snapshot?.events
  const count = (label: string, value: number | undefined, bad = false) => (
    <Text>
      {label}{' '}
      <Text bold color={bad && value ? paint('red') : undefined}>
        {value === undefined ? '-' : formatCount(value)}
      </Text>
      {'  '}
    </Text>
  )
  const first = (
    <>
      {count('sent', e?.sent)}
      {count('observed', e?.observed)}
      {count('unacked', e?.inFlight)}
      {count('backlog', e && Math.max(0, e.sent - e.errors - e.observed))}
      {/* Loss and unresolved are decided after the drain: the last frame shows the result's. */}
      {snapshot?.phase === 'done' ? count('lost', e?.lost ?? undefined, true) : null}
      {snapshot?.phase === 'done' ? count('unresolved', e?.unresolved, true) : null}
    </>
  )
  const second = (
    <>
      {count('duplicates', e?.duplicates, true)}
      {count('out of order', e?.outOfOrder, true)}
      {count('errors', e?.errors, true)}
    </>
  )
  const errors = snapshot?.errors ?? []
  return (
    <Box flexDirection="column">
      {rows === 0 ? null : rows === 2 ? (
        <>
          <Text wrap="truncate-end">{first}</Text>
          <Text wrap="truncate-end">{second}</Text>
        </>
      ) : (
        <Text wrap="truncate-end">
          {first}
          {second}
        </Text>
      )}
      {errors.slice(0, errorRows).map((err, i) => (
        <Text key={err.kind} wrap="truncate-end">
          <Text color={paint('red')}>{`  ${err.kind} ×${formatCount(err.count)}`}</Text>
          {i === errorRows - 1 && errors.length > errorRows ? ` (+${errors.length - errorRows} kinds)` : ''}
          {`: ${err.lastMessage.replace(/\s+/g, ' ')}`}
        </Text>
      ))}
    </Box>
  )
}
