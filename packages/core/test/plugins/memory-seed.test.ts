import { describe, expect, it } from 'vitest'
import { createRandom } from '../../src/load/random.js'
import { pipelineSeed } from '../../src/plugins/memory.js'

/** The first draws of a pipeline's randoms for one worker. */
function draws(seed: number, context: Parameters<typeof pipelineSeed>[1]): number[] {
  const random = createRandom(pipelineSeed(seed, context))
  return Array.from({ length: 5 }, () => random())
}

describe('the memory pipeline seed', () => {
  it('draws for N shards × W workers exactly what one process of N × W workers draws', () => {
    const shards = 3
    const workers = 2
    const oneProcess = Array.from({ length: shards * workers }, (_, w) =>
      draws(42, { shard: w, shards: shards * workers }),
    )
    const sharded: number[][] = []
    for (let index = 0; index < shards; index++) {
      for (let w = 0; w < workers; w++) {
        const runShard = { index, count: shards }
        // Worker w of shard i is the plan's worker w × N + i (load/shard.ts).
        sharded[w * shards + index] = draws(42, { shard: w, shards: workers, runShard })
      }
    }
    expect(sharded).toEqual(oneProcess)
    // …and no two workers draw alike, across shards too.
    expect(new Set(sharded.map((d) => d.join())).size).toBe(shards * workers)
  })
})
