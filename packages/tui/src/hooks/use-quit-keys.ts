import { useInput } from 'ink'

/** Calls `onQuit` once per q or Ctrl-C (in raw mode Ctrl-C is a key, not SIGINT); keys typed quickly arrive together. */
export function useQuitKeys(onQuit: () => void): void {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      onQuit()
      return
    }
    if (key.ctrl || key.meta) return
    for (const char of input) if (char === 'q' || char === 'Q') onQuit()
  })
}
