/** For tests: SIGSTOP `pid` `afterMs` after `start()`, SIGCONT `forMs` after the freeze; `thaw()` always resumes it. */
export declare function freezer(
  pid: number,
  timing: { afterMs: number; forMs: number },
): {
  start(): void
  thaw(): void
  /** Epoch ms of the freeze and of the thaw (0 before each). */
  readonly frozenAt: number
  readonly thawedAt: number
  readonly frozenMs: number
}
