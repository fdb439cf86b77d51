import type { Reporter } from '@cdcb/core'

/** What the dashboard needs from the CLI. */
export interface TuiOptions {
  /** Called when the user presses q or Ctrl-C; the CLI stops the run gracefully (a second call quits at once). */
  onQuit(): void
}

/** The live Ink dashboard as a reporter (placeholder until the dashboard lands: returns undefined so the CLI prints plain lines). */
export function createTuiReporter(_options: TuiOptions): Reporter | undefined {
  return undefined
}
