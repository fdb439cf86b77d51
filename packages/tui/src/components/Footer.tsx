import { Text } from 'ink'
import { useColor } from '../hooks/use-color.js'

/** The keys, or what is happening once the user asked to stop or the run ended. */
export function Footer({ stopping, done }: { stopping: boolean; done: boolean }) {
  const paint = useColor()
  if (done) return <Text wrap="truncate-end">run finished — summary below</Text>
  if (stopping) {
    return (
      <Text wrap="truncate-end" color={paint('yellow')}>
        stopping: draining for up to 5s, then writing the report — q or Ctrl-C again quits at once
      </Text>
    )
  }
  return (
    <Text wrap="truncate-end" color={paint('gray')}>
      <Text bold>q</Text> or <Text bold>Ctrl-C</Text> stop: drain, write the report, exit
    </Text>
  )
}
