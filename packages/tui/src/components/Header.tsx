import type { Phase, RunSnapshot, RunStartInfo } from '@cdcb/core'
import { Box, Text } from 'ink'
import { formatClock } from '../format.js'
import { useColor } from '../hooks/use-color.js'
import { ProgressBar } from './ProgressBar.js'

const PHASE_COLORS: Record<Phase, string> = {
  starting: 'gray',
  warmup: 'yellow',
  measure: 'green',
  drain: 'cyan',
  verify: 'magenta',
  done: 'blue',
}

/** Run id, config name and pipeline; then the phase with a progress bar and elapsed / remaining time. */
export function Header(props: {
  info: RunStartInfo | undefined
  snapshot: RunSnapshot | undefined
  stopping: boolean
  width: number
  /** The run line (id, name, pipeline); off on very short terminals. */
  showRun: boolean
}) {
  const { info, snapshot, stopping, width } = props
  const paint = useColor()
  const phase: Phase = snapshot?.phase ?? 'starting'
  const elapsed = snapshot?.elapsedSeconds ?? 0
  const planned = info ? info.warmupSeconds + info.measureSeconds : Number.NaN
  const loading = phase === 'starting' || phase === 'warmup' || phase === 'measure'
  const time = !Number.isFinite(planned)
    ? `${formatClock(elapsed)} elapsed, open-ended`
    : loading
      ? `${formatClock(elapsed)} / ${formatClock(planned)}  ${formatClock(planned - elapsed)} left`
      : `${formatClock(elapsed)} / ${formatClock(planned)}  load done`
  const percent = `${Math.floor((snapshot?.progress ?? 0) * 100)}%`.padStart(4)
  const label = phase.toUpperCase().padEnd(8)
  const status = stopping && phase !== 'done' ? '  STOPPING' : ''
  const barWidth = Math.max(
    0,
    Math.min(40, width - label.length - percent.length - time.length - status.length - 4),
  )
  return (
    <Box flexDirection="column">
      {props.showRun ? (
        <Text wrap="truncate-end">
          <Text bold>cdcb {info?.runId ?? snapshot?.runId ?? ''}</Text>
          {info
            ? ` "${info.name}"  ${info.source} → ${info.sink}, ${info.workers} worker${info.workers === 1 ? '' : 's'}`
            : '  starting…'}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        <Text bold color={paint(PHASE_COLORS[phase])}>
          {label}
        </Text>
        {barWidth >= 5 ? <ProgressBar progress={snapshot?.progress ?? 0} width={barWidth} /> : null}
        {` ${percent}  ${time}`}
        <Text bold color={paint('yellow')}>
          {status}
        </Text>
      </Text>
    </Box>
  )
}
