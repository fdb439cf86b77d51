import { useInput } from 'ink'

/** Calls `onQuit` for q or Ctrl-C (in raw mode Ctrl-C is a key, not SIGINT). */
export function useQuitKeys(onQuit: () => void): void {
  useInput((input, key) => {
    if (input === 'q' || input === 'Q' || (key.ctrl && input === 'c')) onQuit()
  })
}
