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

  it('names the file and the histogram of a damaged histogram (bad base64, cut short), as bad input', () => {
    // Found by a fresh user: report --html, compare and merge crashed with "internal error" and a stack (exit 3).
    const good = makeResult({ e2e: [1000, 2000, 3000] })
    const cut = { ...good, histograms: { ...good.histograms, e2e: good.histograms.e2e.slice(0, 20) } }
    expect(() => parseResult(JSON.stringify(cut), 'r.json')).toThrow(ConfigError)
    expect(() => parseResult(JSON.stringify(cut), 'r.json')).toThrow(
      /^r\.json: histograms\.e2e: cannot be decoded \(.*\) — the file is damaged; write it again with cdcb run --out or cdcb merge$/,
    )
    const hop = {
      name: 'connector',
      from: 'committed',
      to: 'delivered',
      description: '',
      resolutionMicros: 1,
      belowZero: 0,
      latency: good.metrics.e2e,
      histogram: 'not base64!',
    }
    expect(() => parseResult(JSON.stringify({ ...good, hops: [hop] }), 'r.json')).toThrow(
      /^r\.json: hops\[0\]\.histogram \(hop connector\): cannot be decoded/,
    )
    expect(parseResult(JSON.stringify(good), 'r.json').runId).toBe('r1')
  })
})
