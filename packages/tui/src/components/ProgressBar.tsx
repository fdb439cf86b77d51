import { Text } from 'ink'
import { useColor } from '../hooks/use-color.js'

/** A bar of `width` cells filled to `progress` (0..1). */
export function ProgressBar({ progress, width }: { progress: number; width: number }) {
  const paint = useColor()
  const clamped = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0))
  const filled = Math.round(clamped * width)
  return (
    <Text>
      <Text color={paint('green')}>{'█'.repeat(filled)}</Text>
      <Text color={paint('gray')}>{'░'.repeat(Math.max(0, width - filled))}</Text>
    </Text>
  )
}
