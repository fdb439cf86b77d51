import { RuntimeFailure } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { checkPlugin } from '@cdcb/core/testing'
import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { redisStreams } from '../src/index.js'

const env = inject('redis')

// The workers import the built plugin (dist/) by its package name: the test script builds first.
describe.skipIf(env.skip)('cdcb-plugin-redis-streams against a real redis-server', () => {
  const url = env.url!

  it('passes the cdcb conformance kit, with nothing left unchecked', async () => {
    const report = await checkPlugin({
      source: redisStreams({ url }),
      sink: redisStreams({ url }),
      verify: redisStreams({ url }),
    })
    expect(report.failures).toEqual([])
    expect(report.unchecked).toEqual([])
    expect(report.result.events.observed).toBe(900)
    expect(report.result.timeBase).toMatch(/Redis stream entry id/)

    // Teardown removed the run's streams (the kit asked leftovers(); this asks Redis itself).
    const redis = new Redis(url)
    try {
      expect(await redis.keys(`cdcb:${report.result.runId}:*`)).toEqual([])
    } finally {
      redis.disconnect()
    }
  })

  it('says which plugin, part and phase failed when Redis cannot be reached', async () => {
    const down = redisStreams({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 })
    const config = await resolveConfig(
      { source: down, sink: down, workers: 1, load: { rate: 10, duration: '1s' } },
      { origin: 'test' },
    )
    const error = await runBenchmark(config).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RuntimeFailure)
    expect((error as Error).message).toMatch(
      /^source "cdcb-plugin-redis-streams" failed to prepare: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    )
  })

  it('rejects a misspelt option with a did-you-mean, through valibot', async () => {
    const error = await resolveConfig(
      { source: { plugin: 'redis-streams', options: { url, readcount: 5 } }, sink: redisStreams({ url }) },
      { origin: 'test' },
    ).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      'test: source.options.readcount: unknown key — did you mean "readCount"?',
    )
  })
})
