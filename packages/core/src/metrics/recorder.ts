import { createHistogram, encodeHistogram, HIGHEST_TRACKABLE_MICROS, type Histogram } from './histograms.js'

/**
 * The hot path's latency recorder: the same buckets as an HDR histogram with
 * lowest value 1, 3 significant digits and highest `HIGHEST_TRACKABLE_MICROS`,
 * but a plain counts array and index arithmetic inline. hdr-histogram-js's
 * `recordValue` costs ~350 ns here (its WebAssembly build ~50 ns), too much for a
 * million events a second with four latencies each; this is a few ns.
 *
 * At snapshot time the counts move into an hdr-histogram-js histogram with the
 * same layout, one `recordValueWithCount` per non-empty bucket, so encoding and
 * merging stay HDR's own and lossless.
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

export class Recorder {
  private readonly counts = new Float64Array(COUNTS_LENGTH)
  private lowIndex = COUNTS_LENGTH
  private highIndex = -1
  count = 0

  /** Records a latency in microseconds; negative values (clock steps) count as 0, huge ones are clamped. */
  record(micros: number, count = 1): void {
    const value =
      micros <= 0 ? 0 : micros >= HIGHEST_TRACKABLE_MICROS ? HIGHEST_TRACKABLE_MICROS : Math.round(micros)
    const index = countsIndexOf(value)
    this.counts[index]! += count
    if (index < this.lowIndex) this.lowIndex = index
    if (index > this.highIndex) this.highIndex = index
    this.count += count
  }

  /** Adds the recorded counts into an HDR histogram of the same layout. */
  addTo(histogram: Histogram): void {
    for (let i = this.lowIndex; i <= this.highIndex; i++) {
      const n = this.counts[i]!
      if (n !== 0) histogram.recordValueWithCount(valueAtIndex(i), n)
    }
  }

  reset(): void {
    if (this.highIndex >= 0) this.counts.fill(0, this.lowIndex, this.highIndex + 1)
    this.lowIndex = COUNTS_LENGTH
    this.highIndex = -1
    this.count = 0
  }

  /** Encodes what was recorded since the last call (HDR compressed base64; '' when empty) and starts afresh. */
  takeEncoded(scratch: Histogram = sharedScratch()): string {
    if (this.count === 0) return ''
    scratch.reset()
    this.addTo(scratch)
    this.reset()
    return encodeHistogram(scratch)
  }
}

let scratch: Histogram | undefined
function sharedScratch(): Histogram {
  scratch ??= createHistogram()
  return scratch
}
