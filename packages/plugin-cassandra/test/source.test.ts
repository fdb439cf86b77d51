import type { Operation } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { groupByPartition, KeyOrder } from '../src/source.js'
import { tokenRanges } from '../src/verifier.js'

const op = (seq: number, key: number): Operation => ({ seq, key, kind: 'update', intendedAt: 0 })

describe('groupByPartition', () => {
  it('puts operations of one bucket together, at most `size` each, a key at most once per batch', () => {
    const ops = [op(0, 1), op(1, 5), op(2, 2), op(3, 1), op(4, 9), op(5, 13)]
    // buckets = 4: keys 1, 5, 9, 13 share bucket 1; key 2 is bucket 2.
    expect(groupByPartition(ops, 4, 3).map((g) => g.map((o) => o.seq))).toEqual([[0, 1], [2], [3, 4, 5]])
    expect(groupByPartition(ops, 4, 2).map((g) => g.map((o) => o.seq))).toEqual([[0, 1], [2], [3, 4], [5]])
  })

  it('keeps every key’s seq order across batches', () => {
    const ops = Array.from({ length: 200 }, (_, seq) => op(seq, (seq * 7) % 13))
    const groups = groupByPartition(ops, 3, 5)
    const last = new Map<number, number>()
    for (const group of groups) {
      expect(new Set(group.map((o) => o.key)).size).toBe(group.length)
      expect(new Set(group.map((o) => o.key % 3)).size).toBe(1)
      for (const o of group) {
        expect(o.seq).toBeGreaterThan(last.get(o.key) ?? -1)
        last.set(o.key, o.seq)
      }
    }
    expect(groups.flat()).toHaveLength(200)
  })
})

describe('KeyOrder', () => {
  it('starts a key’s write only after its previous one settled, even a failed one; other keys run at once', async () => {
    const order = new KeyOrder()
    const events: string[] = []
    let release!: () => void
    const first = order.after([1], () => {
      events.push('start 1a')
      return new Promise<void>((_, reject) => {
        release = () => reject(new Error('boom'))
      })
    })
    const second = order.after([1], async () => void events.push('start 1b'))
    const other = order.after([2], async () => void events.push('start 2'))
    await other
    expect(events).toEqual(['start 1a', 'start 2'])
    release()
    await expect(first).rejects.toThrow('boom')
    await second
    expect(events).toEqual(['start 1a', 'start 2', 'start 1b'])
  })
})

describe('tokenRanges', () => {
  it('covers the Murmur3 ring (MIN, MAX] without gaps or overlaps', () => {
    const ranges = tokenRanges(16)
    expect(ranges[0]![0]).toBe(-(2n ** 63n))
    expect(ranges.at(-1)![1]).toBe(2n ** 63n - 1n)
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1])
  })
})
