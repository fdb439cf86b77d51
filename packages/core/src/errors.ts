/**
 * Errors a user can act on. The CLI prints `message` as one line and exits with
 * `exitCode`; anything else is a bug and keeps its stack trace.
 */
export class CdcbError extends Error {
  constructor(
    message: string,
    readonly exitCode: 2 | 3,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** A mistake in the config, the command line or a plugin's options (exit 2; nothing was written anywhere). */
export class ConfigError extends CdcbError {
  constructor(message: string) {
    super(message, 2)
  }
}

/** The target or a plugin failed while running (exit 3). */
export class RuntimeFailure extends CdcbError {
  constructor(message: string) {
    super(message, 3)
  }
}

const PARTIAL = Symbol.for('cdcb.PartialWriteFailure')

/**
 * What a source's `write` rejects with when only some operations of the batch
 * failed: core counts the operations whose seqs are in `failed` as errors (by
 * the kind of `cause`, the first failure) and acknowledges the rest, so an
 * operation the target applied is never counted as failed. Checked by a brand,
 * not `instanceof`, so a plugin built against another copy of core still works.
 */
export class PartialWriteFailure extends Error {
  readonly [PARTIAL] = true
  constructor(
    /** Seqs of the operations that failed (a subset of the batch's). */
    readonly failed: ReadonlySet<number>,
    cause: unknown,
  ) {
    super(describeError(cause), { cause })
    this.name = errorKind(cause)
  }

  static is(error: unknown): error is PartialWriteFailure {
    return typeof error === 'object' && error !== null && (error as { [PARTIAL]?: boolean })[PARTIAL] === true
  }
}

/** Best one-line description of anything thrown, for messages and error-by-kind counters. */
export function describeError(error: unknown): string {
  if (error instanceof Error || (error !== null && typeof error === 'object' && 'message' in error)) {
    const { message, name } = error as { message?: unknown; name?: unknown }
    const text = typeof message === 'string' && message ? message : String(name ?? 'error')
    return text.split('\n')[0]!
  }
  return String(error)
}

/** A short, stable kind for an error, used to group errors in counters (`ECONNREFUSED`, `TimeoutError`, …). */
export function errorKind(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code) return code
    const name = (error as { name?: unknown }).name
    if (typeof name === 'string' && name && name !== 'Error') return name
  }
  return 'Error'
}

/**
 * Query parameters that carry a secret (`?password=…`, `&sslpassword=…`, `?api_key=…`), by name,
 * case-insensitive. libpq, JDBC and many HTTP APIs take credentials there as well as in the userinfo.
 */
const SECRET_PARAM =
  /^(?:[a-z_.-]*pass(?:word|phrase)?|passwd|pwd|[a-z_.-]*secret[a-z_.-]*|[a-z_.-]*token|[a-z_.-]*credentials?|api[-_.]?key|access[-_.]?key(?:[-_.]?id)?|private[-_.]?key|auth|authorization|signature|sig|x-amz-signature|x-amz-credential|sas)$/i

/**
 * Hide the secrets in a connection URL, the password of its userinfo (`postgres://user:***@host/db`)
 * and secret query parameters (`?password=***`, `&token=***`), so they never reach a log or report.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/\s]*@/gi, '$1***@')
    .replace(/([?&;])([^=&;#\s?]+)=([^&;#\s]*)/g, (whole, sep: string, name: string, value: string) =>
      value !== '' && SECRET_PARAM.test(safeDecode(name)) ? `${sep}${name}=***` : whole,
    )
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The part of a plugin a message is about; `verify` is the config slot of a `verifier`. */
export type PluginPart = 'source' | 'sink' | 'verifier' | 'pipeline' | 'reporter'

/** What the part was doing: `failed to <phase>`. */
export type PluginPhase =
  | 'be created'
  | 'prepare'
  | 'open'
  | 'start'
  | 'stop'
  | 'close'
  | 'verify'
  | 'tear down'
  | 'report'

/**
 * One line naming the plugin, its part and the phase, so a bare driver message
 * (`Connection is closed.`) says where it came from:
 * `sink "redis" failed to start: Connection is closed.` Passwords in URLs are hidden.
 */
export function pluginFailure(part: PluginPart, plugin: string, phase: PluginPhase, error: unknown): string {
  const message = redactUrl(describeError(error))
  // Plugins often start their own messages with the slot ("sink: …"); say it once.
  const own = [`${part}: `, part === 'verifier' ? 'verify: ' : ''].find((p) => p && message.startsWith(p))
  return `${part} "${plugin}" failed to ${phase}: ${own ? message.slice(own.length) : message}`
}

/** The part a config slot holds (the `verify` slot holds a verifier). */
export function partOfSlot(slot: 'source' | 'sink' | 'verify' | 'pipeline' | 'reporter'): PluginPart {
  return slot === 'verify' ? 'verifier' : slot
}
