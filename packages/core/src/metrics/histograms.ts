import hdr from 'hdr-histogram-js'
import type { LatencySummary } from '../result.js'

export type Histogram = ReturnType<typeof hdr.build>

/** One hour in microseconds: the largest latency a histogram holds; larger values are counted apart (`aboveRange`). */
export const HIGHEST_TRACKABLE_MICROS = 3_600_000_000

/** A histogram of microsecond values with 3 significant digits, as every worker and the main thread use. */
/**
 * How many samples a percentile covers, as HdrHistogram defines it (and
 * hdr-histogram-js computes it): the fp count rounded up, less one ulp so fp
 * error cannot skip a count, at least 1. Every percentile cdcb prints, checks
 * or merges ranks this way, so a result's figures and its encoded histograms
 * agree exactly (a `floor(x + 0.5)` rank once made cdcb call its own files
 * damaged: p99 119.487 ms from the run, 119.039 ms from its histogram).
 * `total` may be fractional (coordinated-omission corrected counts).
 */
export function countAtPercentile(percentile: number, total: number): number {
  const fp = (Math.min(percentile, 100) / 100) * total
  if (!(fp > 0)) return 1
  return Math.max(1, Math.ceil(fp - 2 ** (Math.floor(Math.log2(fp)) - 52)))
}

export function createHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_MICROS,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
  })
}

/** Encodes a histogram to cross a thread or go into a result file; decoding and adding it is lossless. */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram)
}

/** Adds an encoded histogram into `into` (lossless merge: counts are added bucket by bucket). */
export function addEncoded(into: Histogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false)
  into.add(decoded)
  decoded.destroy()
}

/** Decodes a histogram written by `encodeHistogram`, e.g. from an earlier result file. */
export function decodeHistogram(encoded: string): Histogram {
  const histogram = createHistogram()
  try {
    addEncoded(histogram, encoded)
  } catch (error) {
    histogram.destroy()
    throw error
  }
  return histogram
}

/** The summary of a histogram without samples: every statistic unknown, never 0. */
export function emptySummary(belowZero = 0, aboveRange = 0): LatencySummary {
  return {
    count: 0,
    p50: null,
    p95: null,
    p99: null,
    p999: null,
    max: null,
    mean: null,
    belowZero,
    aboveRange,
  }
}

/** Percentiles of a microsecond histogram, in milliseconds (µs precision kept); null with no samples. Out-of-range counts are not in an encoded histogram, so they read 0 here. */
export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return emptySummary()
  const ms = (micros: number) => Math.round(micros) / 1e3
  return {
    count: histogram.totalCount,
    p50: ms(histogram.getValueAtPercentile(50)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
    belowZero: 0,
    aboveRange: 0,
  }
}
