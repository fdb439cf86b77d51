/** For tests: SIGSTOP `pid` `afterMs` after `start()`, SIGCONT `forMs` after the freeze; `thaw()` always resumes it. */
export declare function freezer(
  pid: number,
  timing: { afterMs: number; forMs: number },
): { start(): void; thaw(): void; readonly frozenMs: number }
