import type { UserConfig } from '@cdcb/core'

/** A pipeline cdcb set up by itself so `cdcb run` works with no config. */
export interface Quickstart {
  /** The config to run against it. */
  readonly config: UserConfig
  /** One line for the user: what is running and how to use their own servers instead. */
  readonly description: string
  /** Removes everything the quickstart made; safe to call twice. */
  stop(): Promise<void>
}

/** Starts the embedded quickstart pipeline (placeholder until the PostgreSQL plugin lands). */
export async function startQuickstart(_options: {
  log(line: string): void
  durationSeconds?: number
}): Promise<Quickstart | undefined> {
  return undefined
}
