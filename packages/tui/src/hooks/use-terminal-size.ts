import { useStdout } from 'ink'
import { useEffect, useState } from 'react'

/** The terminal's columns and rows, updated when it is resized. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout()
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 })
  const [size, setSize] = useState(read)
  // biome-ignore lint/correctness/useExhaustiveDependencies: `read` only reads `stdout`
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
