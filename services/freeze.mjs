/**
 * For tests: freezes a server process (SIGSTOP) some time after `start()` and
 * thaws it (SIGCONT) a set time after the freeze really happened (a busy event
 * loop fires timers late); `thaw()` in a test's `finally` always leaves it running.
 */
export function freezer(pid, { afterMs, forMs }) {
  const timers = []
  let frozenAt = 0
  let thawedAt = 0
  const thaw = () => {
    for (const timer of timers) clearTimeout(timer)
    if (frozenAt && !thawedAt) {
      process.kill(pid, 'SIGCONT')
      thawedAt = Date.now()
    }
  }
  return {
    start() {
      timers.push(
        setTimeout(() => {
          process.kill(pid, 'SIGSTOP')
          frozenAt = Date.now()
          timers.push(setTimeout(thaw, forMs))
        }, afterMs),
      )
    },
    thaw,
    /** Epoch ms of the freeze (0 before it). */
    get frozenAt() {
      return frozenAt
    },
    /** Epoch ms of the thaw (0 before it). */
    get thawedAt() {
      return thawedAt
    },
    /** How long the server was frozen, in ms (0 until it was frozen and thawed). */
    get frozenMs() {
      return thawedAt - frozenAt
    },
  }
}
