import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import { parseResult } from '../../src/results/read-result.js'
import { makeResult } from './make-result.js'

describe('parseResult', () => {
  it('names a JSON file that is not a cdcb result as such, not by its first missing field', () => {
    // Found by a fresh user: {"hello":1} was reported as "schemaVersion: expected 1".
    expect(() => parseResult('{"hello":1}', 'x.json')).toThrow(ConfigError)
    expect(() => parseResult('{"hello":1}', 'x.json')).toThrow(
      'x.json: not a cdcb result (no schemaVersion and runId) — pass a result written by cdcb run --out or cdcb merge',
    )
    expect(() => parseResult('[1,2]', 'x.json')).toThrow(/^x\.json: not a cdcb result/)
  })

  it('names the field of a result of another version', () => {
    expect(() => parseResult('{"schemaVersion":2,"runId":"r"}', 'x.json')).toThrow(
      /^x\.json: schemaVersion: .* — this cdcb reads schemaVersion 1 results$/,
    )
  })

  it('refuses a histogram that does not match its figures (one copied over another still decodes)', () => {
    // Found by a fresh user: ack's histogram copied over e2e's: report showed metrics' e2e p99,
    // compare the histogram's, and merge added the wrong histogram without a word.
    const good = makeResult({ e2e: [80_000, 81_000, 81_100], ack: [40, 45, 46] })
    const copied = { ...good, histograms: { ...good.histograms, e2e: good.histograms.ack } }
    expect(() => parseResult(JSON.stringify(copied), 'r.json')).toThrow(ConfigError)
    expect(() => parseResult(JSON.stringify(copied), 'r.json')).toThrow(
      /^r\.json: histograms\.e2e: does not match metrics\.e2e \(p50 0\.045 ms vs 81\.023 ms\) — the file is damaged; write it again with cdcb run --out or cdcb merge$/,
    )
    const fewer = makeResult({ e2e: [80_000, 81_000] })
    const counted = { ...good, histograms: { ...good.histograms, e2e: fewer.histograms.e2e } }
    expect(() => parseResult(JSON.stringify(counted), 'r.json')).toThrow(
      /^r\.json: histograms\.e2e: does not match metrics\.e2e \(count 2 vs 3\)/,
    )
    const hop = hopOf(good.metrics.e2e, good.histograms.ack)
    expect(() => parseResult(JSON.stringify({ ...good, hops: [hop] }), 'r.json')).toThrow(
      /^r\.json: hops\[0\]\.histogram \(hop connector\): does not match hops\[0\]\.latency/,
    )
    // The result as written passes.
    expect(
      parseResult(JSON.stringify({ ...good, hops: [{ ...hop, histogram: good.histograms.e2e }] }), 'r.json')
        .runId,
    ).toBe(good.runId)
  })

  it('names the file and the histogram of a damaged histogram (bad base64, cut short), as bad input', () => {
    // Found by a fresh user: report --html, compare and merge crashed with "internal error" and a stack (exit 3).
    const good = makeResult({ e2e: [1000, 2000, 3000] })
    const cut = { ...good, histograms: { ...good.histograms, e2e: good.histograms.e2e.slice(0, 20) } }
    expect(() => parseResult(JSON.stringify(cut), 'r.json')).toThrow(ConfigError)
    expect(() => parseResult(JSON.stringify(cut), 'r.json')).toThrow(
      /^r\.json: histograms\.e2e: cannot be decoded \(.*\) — the file is damaged; write it again with cdcb run --out or cdcb merge$/,
    )
    const hop = hopOf(good.metrics.e2e, 'not base64!')
    expect(() => parseResult(JSON.stringify({ ...good, hops: [hop] }), 'r.json')).toThrow(
      /^r\.json: hops\[0\]\.histogram \(hop connector\): cannot be decoded/,
    )
    expect(parseResult(JSON.stringify(good), 'r.json').runId).toBe('r1')
  })
})

/** A result's hop entry named connector, with the given figures and encoded histogram. */
function hopOf(latency: unknown, histogram: string) {
  return {
    name: 'connector',
    from: 'committed',
    to: 'delivered',
    description: '',
    resolutionMicros: 1,
    belowZero: 0,
    latency,
    histogram,
  }
}
