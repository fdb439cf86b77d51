/**
 * Ending the process with a one-line message: cdcb's errors carry their exit
 * code (2 config, 3 runtime); anything else is a bug and keeps its stack.
 */
export function fail(code: number, message: string): never {
  process.stderr.write(`cdcb: ${message}\n`)
  process.exit(code)
}

export function exitWithError(error: unknown): never {
  const code = (error as { exitCode?: unknown })?.exitCode
  if (error instanceof Error && (code === 2 || code === 3)) fail(code, error.message)
  process.stderr.write(
    `cdcb: internal error — please report it: ${error instanceof Error ? error.stack : String(error)}\n`,
  )
  process.exit(3)
}
