import { describe, expect, it } from 'vitest'
import { createRandom } from '../../src/load/random.js'
import { addEncoded, createHistogram, summarize } from '../../src/metrics/histograms.js'
import { countsIndexOf, Recorder, valueAtIndex } from '../../src/metrics/recorder.js'

describe('latency recording and merging', () => {
  it('merges encoded histograms from several workers into exactly one histogram of all samples', () => {
    const random = createRandom(11)
    const workers = [new Recorder(), new Recorder(), new Recorder()]
    const single = new Recorder()
    const reference = createHistogram()
    for (let i = 0; i < 200_000; i++) {
      // Log-normal-ish latencies from 10 µs to minutes, so every bucket range is exercised.
      const micros = Math.round(10 * Math.exp(random() * 16))
      workers[i % 3]!.record(micros)
      single.record(micros)
      reference.recordValue(micros)
    }
    const merged = createHistogram()
    for (const worker of workers) addEncoded(merged, worker.takeEncoded())
    const alone = createHistogram()
    addEncoded(alone, single.takeEncoded())
    expect(merged.totalCount).toBe(200_000)
    expect(summarize(merged)).toEqual(summarize(alone))
    for (const p of [1, 25, 50, 90, 95, 99, 99.9, 99.99, 100]) {
      expect(merged.getValueAtPercentile(p)).toBe(alone.getValueAtPercentile(p))
      // And the same as hdr-histogram-js recording every value itself, at HDR's resolution.
      expect(countsIndexOf(merged.getValueAtPercentile(p))).toBe(
        countsIndexOf(reference.getValueAtPercentile(p)),
      )
    }
  })

  it('uses the HDR bucket layout: every value maps back into its own bucket', () => {
    for (const value of [0, 1, 2047, 2048, 4095, 4096, 123_456, 99_999_999, 3_600_000_000]) {
      const index = countsIndexOf(value)
      expect(valueAtIndex(index)).toBeLessThanOrEqual(value)
      expect(countsIndexOf(valueAtIndex(index))).toBe(index)
    }
  })

  it('clamps negative and huge values instead of throwing', () => {
    const recorder = new Recorder()
    recorder.record(-5)
    recorder.record(1e13)
    const histogram = createHistogram()
    recorder.addTo(histogram)
    expect(histogram.totalCount).toBe(2)
    expect(histogram.getValueAtPercentile(1)).toBe(0)
  })
})
