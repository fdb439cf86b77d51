// Issue #16: CPU time per record of the Kafka source alone (cdcb's encoding and
// batching plus the client), measured in one process around the source's
// `write` with the closed loop core runs (`concurrency` writers, one operation
// each). On a shared, loaded machine throughput follows the CPU share a process
// gets; CPU per record does not, so this is the figure to compare variants by.
// Variants are source options as JSON, rotated each round; every run writes its
// own topic, deleted right after.
// Usage: node bench/kafka-source-cpu.mjs [seconds, default 6] [rounds, default 3] [variant JSON ...]
//   e.g. node bench/kafka-source-cpu.mjs 6 3 '{"producers":1}' '{"producers":3}'
import './node24.mjs'
import os from 'node:os'
import { digestOf, payloadFor, writePayload } from '@cdcb/core'
import plugin from '@cdcb/plugin-kafka'
import { createTopic, deleteTopics, median, withKafka } from './kafka-lib.mjs'

const seconds = Number(process.argv[2] ?? 6)
const rounds = Number(process.argv[3] ?? 3)
const variants = process.argv.length > 4 ? process.argv.slice(4) : ['{"producers":1}', '{"producers":3}']
const concurrency = 4096
const warmupMs = 2000
const size = 1000
const keys = 100_000

/** Writes through a fresh source for warmup + `seconds`; returns records/s and CPU µs per record in the measured window. */
async function measure(brokers, topic, extra) {
  const options = plugin.options.parse({ brokers, topic, acks: 'all', ...extra })
  let cachedSeq = -1
  let cachedPayload = ''
  const payload = (seq) => {
    if (seq !== cachedSeq) {
      cachedPayload = payloadFor(1, seq, size)
      cachedSeq = seq
    }
    return cachedPayload
  }
  const context = {
    runId: 'cpu00000',
    shard: 0,
    shards: 1,
    seed: 1,
    payloadSize: size,
    keys,
    signal: new AbortController().signal,
    startedAt: () => undefined,
    payload,
    writePayload: (seq, target, offset) => writePayload(1, seq, target, offset, size),
    digest: (seq) => digestOf(payload(seq)),
    marker: (op) => ({
      runId: 'cpu00000',
      seq: op.seq,
      intendedAt: op.intendedAt,
      digest: digestOf(payload(op.seq)),
    }),
    parseMarker: () => undefined,
    log: () => {},
  }
  const source = plugin.createSource(options, context)
  await source.open?.()
  const start = Date.now()
  const from = start + warmupMs
  const end = from + seconds * 1000
  let seq = 0
  let acked = 0
  let cpuFrom
  const writer = async () => {
    while (Date.now() < end) {
      const s = seq++
      await source.write([{ seq: s, key: s % keys, kind: 'update', intendedAt: Date.now() * 1000 }])
      if (!cpuFrom && Date.now() >= from) cpuFrom = process.cpuUsage()
      if (cpuFrom) acked++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, writer))
  const cpu = process.cpuUsage(cpuFrom)
  await source.close?.()
  return { rate: acked / seconds, cpuPerRecord: (cpu.user + cpu.system) / acked }
}

await withKafka(async (brokers) => {
  const results = Object.fromEntries(variants.map((v) => [v, { rate: [], cpu: [] }]))
  for (let round = 0; round < rounds; round++) {
    const line = []
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      const topic = await createTopic(brokers, 'bench-source-cpu', 6)
      try {
        const { rate, cpuPerRecord } = await measure(brokers, topic, JSON.parse(v))
        results[v].rate.push(rate)
        results[v].cpu.push(cpuPerRecord)
        line.push(`${v} ${Math.round(rate)}/s ${cpuPerRecord.toFixed(1)} µs/record`)
      } finally {
        await deleteTopics(brokers, [topic])
      }
    }
    console.log(`round ${round + 1} (load ${os.loadavg()[0].toFixed(1)}): ${line.join('; ')}`)
  }
  console.log('medians:')
  for (const v of variants)
    console.log(
      `  ${v.padEnd(30)} ${Math.round(median(results[v].rate))}/s, ${median(results[v].cpu).toFixed(1)} µs CPU/record`,
    )
})
