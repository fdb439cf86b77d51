/**
 * cdcb-plugin-redis-streams: a cdcb plugin for Redis Streams, with a source, a
 * sink and a verifier, written from cdcb's docs/writing-a-plugin.md and
 * `cdcb init --plugin` as a third party would.
 *
 * The pipeline under test is a stream per shard: the source XADDs each change
 * with cdcb's marker, the sink reads the stream of its own shard with XREAD (so
 * no sink reads another's events), the verifier replays its shard's stream into
 * the final state per key. Everything lives under `<prefix>:<runId>:` and the
 * source's teardown removes it.
 */
import {
  ConfigError,
  definePlugin,
  digestOf,
  encodeMarker,
  type Mismatch,
  nowMicros,
  pluginRef,
} from '@cdcb/core'
import { toStandardJsonSchema } from '@valibot/to-json-schema'
import { Redis } from 'ioredis'
import * as v from 'valibot'

const schema = v.strictObject({
  /** Where Redis listens, e.g. `redis://127.0.0.1:6379/0`; a password in it is never printed. */
  url: v.pipe(v.string(), v.regex(/^rediss?:\/\//, 'expected a URL such as "redis://127.0.0.1:6379"')),
  /** First part of every key the run makes: `<prefix>:<runId>:…`. */
  prefix: v.optional(
    v.pipe(v.string(), v.regex(/^[\w.-]+$/, 'expected letters, digits, ".", "_" or "-"')),
    'cdcb',
  ),
  /** Most entries one XREAD returns. */
  readCount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1000),
  /** How long to wait for a connection, in milliseconds. */
  connectTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(1)), 3000),
})
// Standard JSON Schema on top of valibot's Standard Schema: cdcb learns the keys for its did-you-mean.
const options = toStandardJsonSchema(schema)

export type RedisStreamsOptions = v.InferInput<typeof schema>
type Resolved = v.InferOutput<typeof schema>

/** Config helper: `source: redisStreams({ url: 'redis://127.0.0.1:6379' })`, the same for sink and verify. */
export const redisStreams = pluginRef<RedisStreamsOptions>('cdcb-plugin-redis-streams')

const runKeys = (o: Resolved, runId: string) => `${o.prefix}:${runId}:*`
const streamOf = (o: Resolved, runId: string, shard: number) => `${o.prefix}:${runId}:stream:${shard}`

/** A connection that fails within the timeout instead of retrying forever. */
async function connect(o: Resolved): Promise<Redis> {
  const redis = new Redis(o.url, {
    lazyConnect: true,
    connectTimeout: o.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  // Without a listener ioredis prints errors itself; the first one is the cause a failed connect hides
  // behind "Connection is closed.", so throw that instead.
  let cause: Error | undefined
  redis.on('error', (error: Error) => {
    cause ??= error
  })
  try {
    await redis.connect()
  } catch (error) {
    throw cause ?? error
  }
  return redis
}

/** Every key of the run, found with SCAN (never KEYS, which blocks the server). */
async function keysOfRun(redis: Redis, o: Resolved, runId: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', runKeys(o, runId), 'COUNT', 1000)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found
}

interface Entry {
  readonly id: string
  readonly fields: Record<string, string>
}

function toEntry([id, flat]: [string, string[]]): Entry {
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
  return { id, fields }
}

/**
 * The stream entry id's milliseconds (Redis server time) stand for the whole
 * millisecond: report its last microsecond, but never later than now.
 */
function commitTime(id: string): number {
  return Math.min(Number(id.slice(0, id.indexOf('-'))) * 1000 + 999, nowMicros())
}

export default definePlugin({
  name: 'redis-streams',
  core: '^0.1.0',
  options,

  // The source owns the run's streams: it checks Redis answers before anything starts and removes them after.
  async prepare(slot, o, context) {
    if (slot !== 'source') return
    // Every shard of a run prepares on its own, and the first out would unlink the streams the others still use.
    if (context.runShard && context.runShard.count > 1) {
      throw new ConfigError(
        "source: the run's streams are removed by the process that made them, so shards (--shard) of one run cannot share them — run in one process",
      )
    }
    const redis = await connect(o)
    await redis.ping()
    redis.disconnect()
    return {
      async teardown() {
        const cleaner = await connect(o)
        try {
          const keys = await keysOfRun(cleaner, o, context.runId)
          if (keys.length > 0) await cleaner.unlink(...keys)
        } finally {
          cleaner.disconnect()
        }
      },
    }
  },

  async leftovers(slot, o, context) {
    if (slot !== 'source') return []
    const redis = await connect(o)
    try {
      return await keysOfRun(redis, o, context.runId)
    } finally {
      redis.disconnect()
    }
  },

  createSource(o, context) {
    const stream = streamOf(o, context.runId, context.shard)
    let redis: Redis | undefined
    return {
      async open() {
        redis = await connect(o)
      },
      async write(ops) {
        // One round trip per batch; Redis keeps a stream's entries in the order they were added.
        const batch = redis!.multi()
        for (const op of ops) {
          batch.xadd(
            stream,
            '*',
            'key',
            String(op.key),
            'kind',
            op.kind,
            'marker',
            encodeMarker(context.marker(op)),
            'payload',
            op.kind === 'delete' ? '' : context.payload(op.seq),
          )
        }
        const results = await batch.exec()
        const failed = results?.find(([error]) => error)
        if (!results || failed) throw failed?.[0] ?? new Error('the MULTI transaction was discarded')
      },
      async close() {
        redis?.disconnect()
      },
    }
  },

  createSink(o, context) {
    const stream = streamOf(o, context.runId, context.shard)
    const stats = { entries: 0, foreign: 0, corrupt: 0, readErrors: 0 }
    let redis: Redis | undefined
    let running = false
    let reading: Promise<void> | undefined
    return {
      timeBase: 'Redis stream entry id (server time, ms, last µs of the ms)',
      async start(observer) {
        redis = await connect(o)
        running = true
        // This run's stream is new, so reading it from the start misses nothing: ready as soon as connected.
        reading = (async () => {
          let last = '0-0'
          while (running) {
            let reply: [string, [string, string[]][]][] | null
            try {
              reply = (await redis!.xread(
                'COUNT',
                o.readCount,
                'BLOCK',
                100,
                'STREAMS',
                stream,
                last,
              )) as typeof reply
            } catch (error) {
              if (!running) break
              stats.readErrors++
              context.log(`sink "redis-streams": XREAD failed: ${(error as Error).message}; retrying`)
              await new Promise((resolve) => setTimeout(resolve, 200))
              continue
            }
            for (const [, entries] of reply ?? []) {
              for (const raw of entries) {
                const { id, fields } = toEntry(raw)
                last = id
                stats.entries++
                const marker = context.parseMarker(fields.marker ?? '')
                if (!marker) {
                  stats.foreign++
                  continue
                }
                if (fields.kind !== 'delete' && digestOf(fields.payload ?? '') !== marker.digest) {
                  stats.corrupt++
                  observer.corrupt(marker.seq, 'payload does not match its digest')
                  continue
                }
                observer.observe(marker.seq, Number(fields.key), marker.intendedAt, commitTime(id))
              }
            }
          }
        })()
      },
      async stop() {
        running = false
        await reading
        redis?.disconnect()
      },
      stats: () => ({ ...stats }),
    }
  },

  createVerifier(o, context) {
    const stream = streamOf(o, context.runId, context.shard)
    let redis: Redis | undefined
    const client = async () => {
      redis ??= await connect(o)
      return redis
    }
    return {
      async verify(expected) {
        const r = await client()
        // The final state is what a consumer applying the stream in order ends with: its last entry per key.
        const last = new Map<number, { seq: number | undefined; deleted: boolean }>()
        let from = '-'
        for (;;) {
          const page = (await r.xrange(stream, from, '+', 'COUNT', 5000)).map(toEntry)
          for (const { fields } of page) {
            last.set(Number(fields.key), {
              seq: context.parseMarker(fields.marker ?? '')?.seq,
              deleted: fields.kind === 'delete',
            })
          }
          if (page.length < 5000) break
          from = `(${page[page.length - 1]!.id}`
        }
        const mismatches: Mismatch[] = []
        let mismatched = 0
        for (const row of expected) {
          const stored = last.get(row.key)
          const exists = stored !== undefined && !stored.deleted
          let problem: Mismatch['problem'] | undefined
          if (row.exists && !exists) problem = 'missing'
          else if (!row.exists && exists) problem = 'unexpected'
          else if (exists && stored.seq !== row.seq) problem = 'content'
          if (!problem) continue
          mismatched++
          if (mismatches.length < 20)
            mismatches.push({
              key: row.key,
              problem,
              detail: `expected seq ${row.seq}, stream has ${stored?.seq}`,
            })
        }
        return { checked: expected.length, mismatched, mismatches }
      },
      // For the conformance kit: append a change of `key` that this run never made.
      async tamper(key) {
        const marker = encodeMarker({ runId: context.runId, seq: 2 ** 31, intendedAt: 0, digest: '' })
        await (await client()).xadd(
          stream,
          '*',
          'key',
          String(key),
          'kind',
          'update',
          'marker',
          marker,
          'payload',
          '',
        )
      },
      async close() {
        redis?.disconnect()
      },
    }
  },
})
