/**
 * Deterministic pseudo-random numbers. Everything random in a run (operation
 * kinds, keys, payloads, the memory plugin's faults) derives from the run's
 * seed, so a run can be repeated and its expected state recomputed.
 */

/** A 32-bit integer hash of two integers (seed, n), well mixed (a murmur3 finaliser). */
export function hash2(seed: number, n: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n | 0, 0xc2b2ae35)) >>> 0
  h ^= Math.floor(n / 0x100000000) // high bits of n above 2^32
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A uniform number in [0, 1) for (seed, n). */
export function uniform(seed: number, n: number): number {
  return hash2(seed, n) / 0x100000000
}

/** A small fast stream of uniform numbers in [0, 1) (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000
  }
}

/** A standard normal variate from two uniforms (Box-Muller). */
export function normal(random: () => number): number {
  const u = 1 - random()
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
