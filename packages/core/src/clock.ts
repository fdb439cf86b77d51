import { performance } from 'node:perf_hooks'

/**
 * Wall-clock time in microseconds since the Unix epoch, with sub-millisecond
 * resolution. Every timestamp cdcb takes comes from here so that times taken in
 * different worker threads of one process can be subtracted (docs/architecture.md, "Time bases").
 */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1e3
}

/**
 * Calls `tick` at `origin + offset + k * period` (epoch microseconds), k = 1, 2, …,
 * re-aligning after each call so timer drift never accumulates. Workers and the
 * main thread use the same origin, so each main-thread tick lands just after the
 * workers' snapshots for that interval. `tick` gets the time it was due (epoch µs),
 * which names the interval it closes however late the timer fired. Returns a
 * function that stops it.
 */
export function everyAligned(
  origin: number,
  periodMicros: number,
  offsetMicros: number,
  tick: (dueAt: number) => void,
): () => void {
  let k = 1
  let timer: NodeJS.Timeout | undefined
  const arm = () => {
    const due = origin + offsetMicros + k * periodMicros
    timer = setTimeout(
      () => {
        k = Math.max(k + 1, Math.floor((nowMicros() - origin - offsetMicros) / periodMicros) + 1)
        tick(due)
        arm()
      },
      Math.max(0, (due - nowMicros()) / 1e3),
    )
  }
  arm()
  return () => clearTimeout(timer)
}
