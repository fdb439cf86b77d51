import type { LatencySummary } from '../result.js'
import {
  countAtPercentile,
  createHistogram,
  emptySummary,
  encodeHistogram,
  HIGHEST_TRACKABLE_MICROS,
  type Histogram,
} from './histograms.js'

/**
 * Latency histograms with the bucket layout of an HDR histogram (lowest value 1,
 * 3 significant digits, highest `HIGHEST_TRACKABLE_MICROS`), kept as a plain
 * counts array with the index arithmetic inline.
 *
 * Why not hdr-histogram-js on the hot path: its `recordValue` costs ~350 ns here
 * (its WebAssembly build ~50 ns), and compressing eight histograms per worker
 * every second stalled the scheduler for milliseconds (lag p99 18.7 ms against
 * 2.8 ms with rare snapshots, at 100,000 events/s). So workers send sparse bucket
 * counts, the main thread adds them bucket by bucket (lossless), computes
 * percentiles in one pass with HDR's own definitions, and only the final
 * histograms are converted to hdr-histogram-js for the standard encoding.
 */

// HDR layout for sub-bucket count 2048 (3 significant digits), unit 1: see HdrHistogram's AbstractHistogram.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1
const LEADING_ZERO_COUNT_BASE = 32 - SUB_BUCKET_HALF_COUNT_MAGNITUDE - 1
const COUNTS_LENGTH = countsLength(HIGHEST_TRACKABLE_MICROS)

function countsLength(highest: number): number {
  let smallestUntrackable = 2 * SUB_BUCKET_HALF_COUNT
  let buckets = 1
  while (smallestUntrackable <= highest) {
    smallestUntrackable *= 2
    buckets++
  }
  return (buckets + 1) * SUB_BUCKET_HALF_COUNT
}

/** Index of a value's bucket in the counts array; `value` is a whole number in [0, 2^32). */
export function countsIndexOf(value: number): number {
  const bucketIndex = LEADING_ZERO_COUNT_BASE - Math.clz32(value | SUB_BUCKET_MASK)
  const subBucketIndex = value >>> bucketIndex
  return ((bucketIndex + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + subBucketIndex - SUB_BUCKET_HALF_COUNT
}

/** The lowest value that falls in bucket `index`. */
export function valueAtIndex(index: number): number {
  let bucketIndex = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1
  let subBucketIndex = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT
  if (bucketIndex < 0) {
    subBucketIndex -= SUB_BUCKET_HALF_COUNT
    bucketIndex = 0
  }
  return subBucketIndex * 2 ** bucketIndex
}

/** How many values share bucket `index` (HDR's "size of equivalent value range"). */
function bucketWidth(index: number): number {
  return 2 ** Math.max(0, (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1)
}

/** Bucket counts as they cross threads: only the non-empty buckets, and the samples kept out of them. */
export interface SparseCounts {
  readonly indexes: Int32Array
  readonly counts: Float64Array
  /** Samples below zero (beyond the stamps' declared resolution): a clock difference, not a latency. */
  readonly belowZero: number
  /** Samples above the histogram's range (`HIGHEST_TRACKABLE_MICROS`). */
  readonly aboveRange: number
}

export class Recorder {
  private readonly counts = new Float64Array(COUNTS_LENGTH)
  private lowIndex = COUNTS_LENGTH
  private highIndex = -1
  count = 0
  /** Samples kept out of the buckets because they were below zero; see `record`. */
  belowZero = 0
  /** Samples kept out of the buckets because they were above `HIGHEST_TRACKABLE_MICROS`. */
  aboveRange = 0

  /**
   * Records a latency in microseconds. A value in (-resolution, 0) is 0 within
   * the resolution of the stamps it was computed from; a value below that, or
   * above the histogram's range, is not a latency this histogram can hold: it is
   * counted (`belowZero`, `aboveRange`) and kept out of the percentiles, never
   * clamped into them (docs/architecture.md, "Nothing silently altered").
   */
  record(micros: number, count = 1, resolutionMicros = 0): void {
    if (micros < 0) {
      if (micros >= -resolutionMicros) this.addAt(0, count)
      else this.belowZero += count
      return
    }
    if (micros > HIGHEST_TRACKABLE_MICROS) {
      this.aboveRange += count
      return
    }
    this.addAt(countsIndexOf(Math.round(micros)), count)
  }

  private addAt(index: number, count: number): void {
    this.counts[index]! += count
    if (index < this.lowIndex) this.lowIndex = index
    if (index > this.highIndex) this.highIndex = index
    this.count += count
  }

  /** The non-empty buckets recorded since the last call, and a fresh start; null when nothing was recorded. */
  takeSparse(): SparseCounts | null {
    if (this.count === 0 && this.belowZero === 0 && this.aboveRange === 0) return null
    let used = 0
    for (let i = this.lowIndex; i <= this.highIndex; i++) if (this.counts[i] !== 0) used++
    const indexes = new Int32Array(used)
    const counts = new Float64Array(used)
    let j = 0
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n !== 0) {
        indexes[j] = i
        counts[j++] = n
      }
    }
    const { belowZero, aboveRange } = this
    this.reset()
    return { indexes, counts, belowZero, aboveRange }
  }

  /** Adds another recorder's buckets (a lossless merge). */
  addSparse(sparse: SparseCounts): void {
    for (let j = 0; j < sparse.indexes.length; j++) this.addAt(sparse.indexes[j]!, sparse.counts[j]!)
    this.belowZero += sparse.belowZero
    this.aboveRange += sparse.aboveRange
  }

  /** HDR's value at a percentile: the highest value equivalent to the bucket where the count is reached. */
  valueAtPercentile(percentile: number): number {
    if (this.count === 0) return 0
    const target = countAtPercentile(percentile, this.count)
    let seen = 0
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      seen += this.counts[i]!
      if (seen >= target) return valueAtIndex(i) + bucketWidth(i) - 1
    }
    return this.max
  }

  /**
   * The value at a percentile of every sample, out-of-range ones included in the
   * rank: -Infinity or Infinity when the percentile falls among samples below
   * zero or above the range (its value is then unknown), NaN with no samples.
   */
  valueAtPercentileOfAll(percentile: number): number {
    const total = this.count + this.belowZero + this.aboveRange
    if (total === 0) return Number.NaN
    const target = countAtPercentile(percentile, total)
    if (target <= this.belowZero) return Number.NEGATIVE_INFINITY
    if (target > this.belowZero + this.count) return Number.POSITIVE_INFINITY
    let seen = this.belowZero
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      seen += this.counts[i]!
      if (seen >= target) return valueAtIndex(i) + bucketWidth(i) - 1
    }
    return this.max
  }

  get max(): number {
    return this.highIndex < 0 ? 0 : valueAtIndex(this.highIndex) + bucketWidth(this.highIndex) - 1
  }

  /** Mean over each bucket's middle value, as HDR computes it. */
  get mean(): number {
    if (this.count === 0) return 0
    let sum = 0
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n !== 0) sum += (valueAtIndex(i) + Math.floor(bucketWidth(i) / 2)) * n
    }
    return sum / this.count
  }

  /** p50, p95, p99, p99.9, max and mean in milliseconds, in one pass over the buckets; null with no samples. */
  summary(): LatencySummary {
    const { belowZero, aboveRange } = this
    if (this.count === 0) return emptySummary(belowZero, aboveRange)
    const percentiles = [50, 95, 99, 99.9]
    const values: number[] = []
    let seen = 0
    let next = 0
    let target = countAtPercentile(percentiles[0]!, this.count)
    for (let i = this.lowIndex; i <= this.highIndex && next < percentiles.length; i++) {
      seen += this.counts[i]!
      while (next < percentiles.length && seen >= target) {
        values.push(valueAtIndex(i) + bucketWidth(i) - 1)
        next++
        if (next < percentiles.length) target = countAtPercentile(percentiles[next]!, this.count)
      }
    }
    // Fractional counts (`delayedBy`) can sum a hair below `count`: the last ranks are then the top bucket's.
    while (values.length < percentiles.length) values.push(this.max)
    const ms = (micros: number) => Math.round(micros) / 1e3
    return {
      count: Math.round(this.count), // whole but for the fractional counts of `delayedBy`
      p50: ms(values[0]!),
      p95: ms(values[1]!),
      p99: ms(values[2]!),
      p999: ms(values[3]!),
      max: ms(this.max),
      mean: ms(this.mean),
      belowZero,
      aboveRange,
    }
  }

  /**
   * A copy corrected for coordinated omission (HdrHistogram's
   * `copyCorrectedForCoordinatedOmission`): each sample v above the expected
   * interval I also stands for the samples v-I, v-2I, … ≥ I that a writer
   * stuck waiting never sent.
   */
  correctedFor(expectedIntervalMicros: number): Recorder {
    const copy = new Recorder()
    copy.belowZero = this.belowZero
    copy.aboveRange = this.aboveRange
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n === 0) continue
      const value = valueAtIndex(i) + bucketWidth(i) - 1
      copy.addAt(i, n)
      // Step a bucket at a time: all the missing values falling in one bucket are added at once.
      let missing = value - expectedIntervalMicros
      while (missing >= expectedIntervalMicros) {
        const index = countsIndexOf(Math.floor(missing))
        const inBucket = Math.floor((missing - valueAtIndex(index)) / expectedIntervalMicros) + 1
        copy.addAt(index, n * inBucket)
        missing -= inBucket * expectedIntervalMicros
      }
    }
    return copy
  }

  /**
   * This latency (e.g. e2e) corrected for the operations a closed-model writer
   * did not send while it waited for its acks: `omitted` holds their waits in
   * microseconds (what `ack.correctedFor(I)` adds to the ack histogram), and each
   * omitted operation gets that wait plus a latency drawn from this histogram's
   * own distribution (the convolution, in fractional counts). Every added sample
   * lies at or above a recorded one, so no percentile can drop below the raw one.
   * Applying HDR's correction to e2e with the ack's interval instead added e2e
   * values minus multiples of a much shorter interval: values below the raw p50.
   */
  delayedBy(omitted: Recorder): Recorder {
    const copy = new Recorder()
    copy.belowZero = this.belowZero
    copy.aboveRange = this.aboveRange + (this.count > 0 ? omitted.aboveRange : 0)
    for (let i = this.lowIndex; i <= this.highIndex; i++)
      if (this.counts[i] !== 0) copy.addAt(i, this.counts[i]!)
    if (this.count === 0) return copy
    for (let j = omitted.lowIndex; j <= omitted.highIndex; j++) {
      const waits = omitted.counts[j]!
      if (waits === 0) continue
      const wait = valueAtIndex(j)
      for (let i = this.lowIndex; i <= this.highIndex; i++) {
        const n = this.counts[i]!
        if (n === 0) continue
        const share = (waits * n) / this.count
        const value = wait + valueAtIndex(i) + bucketWidth(i) - 1
        if (value > HIGHEST_TRACKABLE_MICROS) copy.aboveRange += share
        else copy.addAt(countsIndexOf(value), share)
      }
    }
    return copy
  }

  /** The samples `correctedFor(expectedIntervalMicros)` adds: the waits of the operations a stalled writer never sent. */
  omittedFor(expectedIntervalMicros: number): Recorder {
    const corrected = this.correctedFor(expectedIntervalMicros)
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n === 0) continue
      corrected.counts[i]! -= n
      corrected.count -= n
    }
    corrected.belowZero = 0
    corrected.aboveRange = 0
    return corrected
  }

  /** The same counts as an hdr-histogram-js histogram, for the standard encoding. */
  toHdr(): Histogram {
    const histogram = createHistogram()
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n !== 0) histogram.recordValueWithCount(valueAtIndex(i), n)
    }
    return histogram
  }

  /** HdrHistogram's compressed base64 encoding of these counts. */
  encode(): string {
    const histogram = this.toHdr()
    const encoded = encodeHistogram(histogram)
    histogram.destroy()
    return encoded
  }

  reset(): void {
    if (this.highIndex >= 0) this.counts.fill(0, this.lowIndex, this.highIndex + 1)
    this.lowIndex = COUNTS_LENGTH
    this.highIndex = -1
    this.count = 0
    this.belowZero = 0
    this.aboveRange = 0
  }
}

/** One recorder per latency metric. */
export type RecorderSet = Record<'e2e' | 'ack' | 'lag' | 'detect', Recorder>

export function createRecorderSet(): RecorderSet {
  return { e2e: new Recorder(), ack: new Recorder(), lag: new Recorder(), detect: new Recorder() }
}
