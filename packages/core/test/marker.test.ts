import { describe, expect, it } from 'vitest'
import { decodeMarker, encodeMarker, writeMarker } from '../src/marker.js'

describe('writeMarker', () => {
  it("writes encodeMarker's text as UTF-8 at the offset and returns the offset after it", () => {
    const markers = [
      { runId: 'a1b2c3d4', seq: 0, intendedAt: 0, digest: '' },
      { runId: 'a1b2c3d4', seq: 9, intendedAt: 10, digest: '0000abcd' },
      { runId: 'a1b2c3d4', seq: 123_456_789, intendedAt: 1_795_300_000_012_345.5, digest: 'ffffffff' },
      {
        runId: 'trial42',
        seq: Number.MAX_SAFE_INTEGER,
        intendedAt: Number.MAX_SAFE_INTEGER - 0.4,
        digest: 'x',
      },
      { runId: 'prüfung', seq: 99, intendedAt: 1_000_000, digest: '00000001' },
      // Not what a run writes, still its text form.
      { runId: 'a1b2c3d4', seq: 1, intendedAt: -5, digest: 'd' },
      { runId: 'a1b2c3d4', seq: 1.5, intendedAt: 1e300, digest: 'd' },
    ]
    for (let i = 0; i < 2_000; i++)
      markers.push({
        runId: 'a1b2c3d4',
        seq: Math.floor(Math.random() * 2 ** (1 + (i % 53))),
        intendedAt: Math.random() * 2 ** (i % 53),
        digest: (i * 2_654_435_761).toString(16).slice(-8),
      })
    for (const marker of markers) {
      const target = Buffer.alloc(200, 0x2e)
      const end = writeMarker(marker, target, 5)
      const text = encodeMarker(marker)
      expect(target.subarray(5, end).toString(), JSON.stringify(marker)).toBe(text)
      expect(end).toBe(5 + Buffer.byteLength(text))
      expect(target.subarray(0, 5).toString()).toBe('.....')
      expect(target.subarray(end).every((byte) => byte === 0x2e)).toBe(true)
    }
    const written = Buffer.alloc(100)
    const end = writeMarker(markers[2]!, written, 0)
    expect(decodeMarker(written.subarray(0, end).toString())).toEqual({
      ...markers[2],
      intendedAt: 1_795_300_000_012_346,
    })
  })

  it('throws a RangeError, writing nothing past the end, when the marker does not fit', () => {
    const marker = { runId: 'a1b2c3d4', seq: 12, intendedAt: 34, digest: 'abcd' }
    const size = Buffer.byteLength(encodeMarker(marker))
    expect(() => writeMarker(marker, Buffer.alloc(size - 1), 0)).toThrow(RangeError)
    expect(writeMarker(marker, Buffer.alloc(size), 0)).toBe(size)
  })
})
