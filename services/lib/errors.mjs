/**
 * An error meant for a person: `message` is one line, `detail` (optional) is
 * printed below it, `exitCode` is what the CLI exits with.
 * 2 = something the user must fix first (missing tool, port taken, bad env),
 * 3 = the server was tried and failed (download error, crash, timeout).
 */
export class ServiceError extends Error {
  /** @param {string} message @param {{ exitCode?: number, detail?: string }} [options] */
  constructor(message, { exitCode = 3, detail } = {}) {
    super(message)
    this.name = 'ServiceError'
    this.exitCode = exitCode
    this.detail = detail
  }
}
