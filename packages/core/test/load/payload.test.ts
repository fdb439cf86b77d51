import { describe, expect, it } from 'vitest'
import { digestOf, digestOfBytes, payloadFor, writePayload } from '../../src/load/payload.js'

describe('payloadFor', () => {
  it('is the same for the same seed and seq, and differs between seqs', () => {
    expect(payloadFor(7, 42, 100)).toBe(payloadFor(7, 42, 100))
    expect(payloadFor(7, 42, 100)).not.toBe(payloadFor(7, 43, 100))
    expect(payloadFor(7, 42, 100)).toMatch(/^[A-Za-z0-9_-]{100}$/)
  })

  it('keeps its characters from one version to the next (a run split across processes derives them in each)', () => {
    expect(payloadFor(7, 42, 12)).toBe('IUJCnbQCXkRO')
    expect(payloadFor(1, 0, 7)).toBe('2wl3FJf')
  })
})

describe('writePayload', () => {
  it("writes payloadFor's characters as bytes at the offset, and nothing outside them", () => {
    for (const size of [0, 1, 4, 5, 6, 7, 1000, 1003]) {
      const target = Buffer.alloc(size + 10, 0x2e)
      writePayload(5, 77, target, 3, size)
      expect(target.subarray(3, 3 + size).toString('latin1')).toBe(payloadFor(5, 77, size))
      expect(target.subarray(0, 3).toString('latin1')).toBe('...')
      expect(target.subarray(3 + size).toString('latin1')).toBe('.'.repeat(7))
    }
  })

  it('throws a RangeError when the payload does not fit', () => {
    expect(() => writePayload(5, 77, Buffer.alloc(10), 3, 8)).toThrow(RangeError)
  })
})

describe('digestOf', () => {
  it('is the same over the bytes of a payload (digestOfBytes) as over its characters', () => {
    for (const text of ['', 'a', payloadFor(1, 1, 1000), 'é€'])
      expect(digestOfBytes(Buffer.from(text))).toBe(digestOf(text))
  })

  it('is 8 hex characters', () => {
    for (const text of ['', 'a', payloadFor(1, 1, 1000)]) expect(digestOf(text)).toMatch(/^[0-9a-f]{8}$/)
  })

  it('changes when any one character of a payload changes', () => {
    const payload = payloadFor(3, 9, 1003)
    const digest = digestOf(payload)
    for (let i = 0; i < payload.length; i++)
      for (const replacement of ['A', '0', '\u00ff', '\ufffd']) {
        if (payload[i] === replacement) continue
        const changed = payload.slice(0, i) + replacement + payload.slice(i + 1)
        expect(digestOf(changed), `position ${i} → ${JSON.stringify(replacement)}`).not.toBe(digest)
      }
  })

  it('changes when a payload is cut short, lengthened or has two characters swapped', () => {
    const payload = payloadFor(3, 10, 1000)
    const digest = digestOf(payload)
    for (let n = 0; n < payload.length; n += 37) expect(digestOf(payload.slice(0, n))).not.toBe(digest)
    expect(digestOf(`${payload}A`)).not.toBe(digest)
    expect(digestOf(`${payload}\u0000`)).not.toBe(digest)
    for (let i = 0; i + 1 < payload.length; i += 13) {
      if (payload[i] === payload[i + 1]) continue
      const swapped = payload.slice(0, i) + payload[i + 1] + payload[i] + payload.slice(i + 2)
      expect(digestOf(swapped)).not.toBe(digest)
    }
  })

  it('spreads payloads over the digest space (no collisions among 5,000 payloads)', () => {
    const seen = new Set<string>()
    for (let seq = 0; seq < 5_000; seq++) seen.add(digestOf(payloadFor(5, seq, 64)))
    expect(seen.size).toBe(5_000)
  })
})
