import { Text } from 'ink'
import { memo } from 'react'
import type { History } from '../dashboard-store.js'
import { formatShortRate } from '../format.js'
import { useColor } from '../hooks/use-color.js'
import { CHART_GUTTER_WIDTH } from '../layout.js'

const BLOCKS = ' ▁▂▃▄▅▆▇█'

type Cell = 'bar' | 'target' | 'blank'

/**
 * Achieved events/s as bars, the target rate as a line over them: a bar that
 * reaches the line means the pipeline keeps up. Oldest point on the left.
 */
export const RateChart = memo(function RateChart(props: {
  history: History
  /** The history's version; the chart redraws only when it or the size changes. */
  version: number
  points: number
  rows: number
}) {
  const { history, points, rows } = props
  const achieved = history.achieved.last(points)
  const target = history.target.last(points)
  const paint = useColor()
  const top = niceCeiling(Math.max(1, ...achieved, ...target))
  const levels = (v: number) => Math.round((Math.max(0, v) / top) * rows * 8)
  const lines = []
  for (let row = 0; row < rows; row++) {
    const base = (rows - 1 - row) * 8
    const cells: Array<{ kind: Cell; char: string }> = []
    for (let i = 0; i < achieved.length; i++) {
      const fill = levels(achieved[i]!) - base
      const targetLevel = Math.min(levels(target[i] ?? 0), rows * 8 - 1)
      const onTargetRow = target[i]! > 0 && Math.floor(targetLevel / 8) === rows - 1 - row
      if (fill > 0) cells.push({ kind: 'bar', char: BLOCKS[Math.min(8, fill)]! })
      else if (onTargetRow) cells.push({ kind: 'target', char: '─' })
      else cells.push({ kind: 'blank', char: ' ' })
    }
    const gutter =
      row === 0
        ? `${formatShortRate(top).padStart(CHART_GUTTER_WIDTH - 2)} ┤`
        : row === rows - 1
          ? `${'0'.padStart(CHART_GUTTER_WIDTH - 2)} ┤`
          : `${' '.repeat(CHART_GUTTER_WIDTH - 2)} │`
    lines.push(
      <Text key={row} wrap="truncate-end">
        <Text color={paint('gray')}>{gutter}</Text>
        {runs(cells).map((run, i) => (
          <Text
            // biome-ignore lint/suspicious/noArrayIndexKey: runs have no identity beyond their position
            key={i}
            color={run.kind === 'bar' ? paint('green') : run.kind === 'target' ? paint('yellow') : undefined}
          >
            {run.text}
          </Text>
        ))}
      </Text>,
    )
  }
  return <>{lines}</>
})

/** Joins neighbouring cells of the same kind so a row is a handful of Text nodes, not sixty. */
function runs(cells: ReadonlyArray<{ kind: Cell; char: string }>): Array<{ kind: Cell; text: string }> {
  const out: Array<{ kind: Cell; text: string }> = []
  for (const cell of cells) {
    const last = out[out.length - 1]
    if (last && last.kind === cell.kind) last.text += cell.char
    else out.push({ kind: cell.kind, text: cell.char })
  }
  return out
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` × 1.1, so the top of the chart is a round number with headroom. */
export function niceCeiling(value: number): number {
  const padded = value * 1.1
  const magnitude = 10 ** Math.floor(Math.log10(padded))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= padded) return step * magnitude
  return 10 * magnitude
}
