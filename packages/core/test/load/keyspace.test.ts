import { describe, expect, it } from 'vitest'
import { KeySpace } from '../../src/load/keyspace.js'

describe('KeySpace', () => {
  it('only inserts absent keys and only updates or deletes present ones, per shard', () => {
    const shards = 3
    const space = new KeySpace(50, 1, shards, 42, { insert: 0.5, update: 0.3, delete: 0.2 })
    const present = new Set<number>()
    for (let seq = 1; seq < 30_000; seq += shards) {
      const key = space.next(seq)
      const kind = space.lastKind
      expect(key % shards).toBe(1)
      if (kind === 'insert') {
        expect(present.has(key)).toBe(false)
        present.add(key)
      } else {
        expect(present.has(key)).toBe(true)
        if (kind === 'delete') present.delete(key)
      }
    }
    const expected = [...space.expected()]
    expect(
      expected
        .filter((row) => row.exists)
        .map((row) => row.key)
        .sort(),
    ).toEqual([...present].sort())
    const { insert, update, delete: deletes } = space.counts
    expect(insert + update + deletes).toBe(10_000)
    expect(update / 10_000).toBeGreaterThan(0.2)
  })

  it('takes never-touched keys in ascending order, and deleted keys again in proportion', () => {
    const space = new KeySpace(1_000_000, 0, 1, 9, { insert: 0.6, update: 0.1, delete: 0.3 })
    let highestFresh = -1
    let reinserted = 0
    const deleted = new Set<number>()
    for (let seq = 0; seq < 20_000; seq++) {
      const key = space.next(seq)
      if (space.lastKind === 'delete') deleted.add(key)
      if (space.lastKind !== 'insert') continue
      if (deleted.delete(key)) reinserted++
      else {
        // A key never seen before is the next one up: the run touches [0, n) and nothing beyond.
        expect(key).toBe(highestFresh + 1)
        highestFresh = key
      }
    }
    expect(reinserted).toBeGreaterThan(0)
    expect([...space.expected()]).toHaveLength(highestFresh + 1)
  })

  it('leaves keys a failed write touched out of the expected state, and counts them', () => {
    const space = new KeySpace(100, 1, 2, 5, { insert: 1, update: 0, delete: 0 })
    const keys = [space.next(1), space.next(3), space.next(5)]
    space.markUncertain(keys[1]!)
    space.markUncertain(keys[1]!)
    expect([...space.expected()].map((row) => row.key)).toEqual([keys[0], keys[2]])
    expect(space.uncertainCount).toBe(1)
  })

  it('is deterministic for a seed', () => {
    const a = new KeySpace(1000, 0, 2, 7, { insert: 0.7, update: 0.2, delete: 0.1 })
    const b = new KeySpace(1000, 0, 2, 7, { insert: 0.7, update: 0.2, delete: 0.1 })
    for (let seq = 0; seq < 2000; seq += 2) {
      expect(a.next(seq)).toBe(b.next(seq))
      expect(a.lastKind).toBe(b.lastKind)
    }
  })

  it('samples the expected state deterministically', () => {
    const space = new KeySpace(10_000, 0, 1, 3, { insert: 1, update: 0, delete: 0 })
    for (let seq = 0; seq < 10_000; seq++) space.next(seq)
    const sample = [...space.expected(0.1)]
    expect(sample.length).toBeGreaterThan(800)
    expect(sample.length).toBeLessThan(1200)
  })
})
