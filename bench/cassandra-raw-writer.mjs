// The baseline for bench/cassandra-source-throughput.mjs: a bare cassandra-driver
// loop writing the very rows the cdcb Cassandra source writes (same table shape,
// marker and payload from core's payloadFor/digestOf, prepared INSERT, same
// consistency, client-side timestamps), `concurrency` writers each sending one
// row and waiting for its acknowledgement, like cdcb's closed model; one write
// in ten is a row delete, as in cdcb's default mix. Unlike the
// source it keeps no per-key order: any key may have two writes in flight.
// Usage: node bench/cassandra-raw-writer.mjs <host:port> <keyspace> <concurrency> <warmup s> <seconds> <payload bytes>
// Prints one JSON line: { acked, seconds, rate }.
import './node24.mjs'
import { digestOf, payloadFor } from '@cdcb/core'
import cassandra from 'cassandra-driver'

const [contactPoint, keyspace, concurrencyArg, warmupArg, secondsArg, sizeArg] = process.argv.slice(2)
const concurrency = Number(concurrencyArg)
const warmupMs = Number(warmupArg) * 1000
const measureMs = Number(secondsArg) * 1000
const size = Number(sizeArg)
const keys = 100_000
const buckets = 16
const seed = 1

const client = new cassandra.Client({
  contactPoints: [contactPoint],
  localDataCenter: 'datacenter1',
  encoding: { useBigIntAsLong: true },
  queryOptions: { consistency: cassandra.types.consistencies.localQuorum, prepare: true },
})
await client.connect()
await client.execute(
  `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
)
await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.raw (run_id text, bucket int, key bigint, seq bigint,
  op text, intended_at bigint, digest text, payload text, PRIMARY KEY ((run_id, bucket), key))`)
const remove = `DELETE FROM ${keyspace}.raw WHERE run_id = ? AND bucket = ? AND key = ?`
const insert = `INSERT INTO ${keyspace}.raw (run_id, bucket, key, seq, op, intended_at, digest, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

let seq = 0
let acked = 0
let measuring = false
let stop = false
async function writer() {
  while (!stop) {
    const s = seq++
    const key = (s * 7919) % keys
    // One write in ten a delete, as in cdcb's default mix (70/20/10 insert/update/delete).
    if (s % 10 === 9) {
      await client.execute(remove, ['raw', key % buckets, BigInt(key)], { prepare: true })
      if (measuring) acked++
      continue
    }
    const payload = payloadFor(seed, s, size)
    await client.execute(
      insert,
      [
        'raw',
        key % buckets,
        BigInt(key),
        BigInt(s),
        'u',
        BigInt(Date.now() * 1000),
        digestOf(payload),
        payload,
      ],
      { prepare: true },
    )
    if (measuring) acked++
  }
}
const loops = Array.from({ length: concurrency }, writer)
await new Promise((r) => setTimeout(r, warmupMs))
measuring = true
const started = performance.now()
await new Promise((r) => setTimeout(r, measureMs))
measuring = false
const seconds = (performance.now() - started) / 1000
stop = true
await Promise.all(loops)
await client.execute(`DROP KEYSPACE ${keyspace}`)
await client.shutdown()
console.log(JSON.stringify({ acked, seconds, rate: acked / seconds }))
