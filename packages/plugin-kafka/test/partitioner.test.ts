import { compatibilityPartitioner } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { partitionOf } from '../src/partitioner.js'

/** The partition the client's Java-compatible partitioner gives `key` (what the source used before it chose partitions itself). */
function clientPartition(key: string, partitions: number): number {
  return (
    (compatibilityPartitioner as (m: unknown, key: Buffer) => number)(undefined, Buffer.from(key)) %
    partitions
  )
}

describe('partitionOf', () => {
  it("puts every key where the Java producer's murmur2 partitioner puts it", () => {
    const keys: string[] = []
    for (let k = 0; k < 5_000; k++) keys.push(String(k))
    // Every tail length, non-ASCII keys and one longer than the ASCII scratch buffer.
    keys.push('', 'a', 'ab', 'abc', 'abcd', 'abcde', 'clé-ü', '键值', '😀', 'x'.repeat(300))
    for (const partitions of [1, 2, 3, 6, 7, 64])
      expect(keys.map((key) => partitionOf(key, partitions))).toEqual(
        keys.map((key) => clientPartition(key, partitions)),
      )
  })
})
