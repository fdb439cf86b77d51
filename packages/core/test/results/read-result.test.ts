import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import { parseResult } from '../../src/results/read-result.js'

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
})
