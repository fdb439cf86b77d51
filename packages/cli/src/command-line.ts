/**
 * Flag parsing with cdcb's manners: a mistake on the command line is one line
 * and exit 2, like a mistake in a config — an unknown flag gets a did-you-mean
 * instead of oclif's usage dump.
 */
import { fail } from './exit.js'

/** Runs oclif's `parse`; a mistake ends the process with one line and exit 2. */
export async function parseFlags<T>(
  parse: () => Promise<T>,
  flags: Record<string, unknown>,
  name: string,
): Promise<T> {
  try {
    return await parse()
  } catch (error) {
    const unknown = (error as { flags?: unknown }).flags
    if (Array.isArray(unknown) && unknown.length > 0) {
      const known = Object.entries(flags).flatMap(([flag, definition]) => [
        `--${flag}`,
        ...((definition as { allowNo?: boolean }).allowNo ? [`--no-${flag}`] : []),
      ])
      const given = String(unknown[0]).split('=')[0]!
      const { closest } = await import('@cdcb/core/runtime')
      const suggestion = closest(given, known)
      fail(
        2,
        `${name}: unknown flag ${given}${suggestion ? ` — did you mean ${suggestion}?` : ''} (cdcb ${name} --help lists them)`,
      )
    }
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error)
    fail(2, `${name}: ${message} (cdcb ${name} --help)`)
  }
}
