import { Text } from 'ink'
import { memo } from 'react'
import type { RingSeries } from '../dashboard-store.js'

const BLOCKS = '▁▂▃▄▅▆▇█'

/** The newest `points` values of a series as one row of blocks scaled from 0 to the largest; zero is the lowest block. */
export const Sparkline = memo(function Sparkline(props: {
  series: RingSeries
  /** Changes whenever the series does, so the memoised row redraws. */
  version: number
  points: number
  color: string | undefined
}) {
  const values = props.series.last(props.points)
  const top = Math.max(...values, 0)
  let text = ''
  for (const v of values) {
    text += top > 0 ? BLOCKS[Math.min(7, Math.floor((Math.max(0, v) / top) * 7.999))] : BLOCKS[0]
  }
  return <Text color={props.color}>{text}</Text>
})
