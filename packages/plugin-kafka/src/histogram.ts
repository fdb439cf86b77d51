/**
 * A small log-linear histogram (16 buckets per octave, about 6% precision, fixed memory) for the
 * sink's side statistics that core has no metric for, such as Debezium's
 * `source.ts_ms` − intended time. Values in microseconds; negatives clamp to 0.
 */
const SUB_BUCKETS = 32
const BUCKETS = 40

export class LogHistogram {
  private readonly counts = new Float64Array(BUCKETS * SUB_BUCKETS)
  count = 0
  max = 0

  record(value: number): void {
    const v = Math.max(0, Math.round(value))
    this.count++
    if (v > this.max) this.max = v
    this.counts[indexOf(v)]!++
  }

  /** The value at quantile `q` (0..1): the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.count === 0) return 0
    const target = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= target) return Math.min(upperEdge(i), this.max)
    }
    return this.max
  }
}

function indexOf(v: number): number {
  if (v < SUB_BUCKETS) return v
  const exponent = Math.floor(Math.log2(v / SUB_BUCKETS)) + 1
  const bucket = Math.min(exponent, BUCKETS - 1)
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor(v / 2 ** bucket) - SUB_BUCKETS / 2)
  return bucket * SUB_BUCKETS + Math.max(0, sub)
}

function upperEdge(index: number): number {
  const bucket = Math.floor(index / SUB_BUCKETS)
  const sub = index % SUB_BUCKETS
  if (bucket === 0) return sub
  return (sub + SUB_BUCKETS / 2 + 1) * 2 ** bucket - 1
}
