// Issue #16 experiment: the raw @platformatic/kafka loop (cdcb's records, 1 KB, acks=all, 6 partitions)
// with 1 or more producers, idempotent or not, in rotated rounds on one broker.
// Usage: node bench/kafka-producers-experiment.mjs [seconds, default 5] [rounds, default 3] [variants, default "1i,2i,4i,1n"]
// A variant is <producers><i|n>: i idempotent (one request in flight each), n not (five).
import './node24.mjs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createTopic, deleteTopics, median, withKafka } from './kafka-lib.mjs'

const seconds = Number(process.argv[2] ?? 5)
const rounds = Number(process.argv[3] ?? 3)
const variants = (process.argv[4] ?? '1i,2i,4i,1n').split(',')

await withKafka(async (brokers) => {
  const rates = Object.fromEntries(variants.map((v) => [v, []]))
  for (let round = 0; round < rounds; round++) {
    const line = []
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      const topic = await createTopic(brokers, 'bench-producers', 6)
      try {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            new URL('./kafka-raw-producer.mjs', import.meta.url).pathname,
            brokers,
            topic,
            '4096',
            '2',
            String(seconds),
            '1000',
            'identical',
            'platformatic',
            String(Number.parseInt(v, 10)),
            String(v.endsWith('i')),
          ],
          { cwd: new URL('..', import.meta.url).pathname },
        )
        rates[v].push(JSON.parse(stdout).rate)
      } finally {
        await deleteTopics(brokers, [topic])
      }
      line.push(`${v} ${Math.round(rates[v].at(-1))}/s`)
    }
    console.log(`round ${round + 1}: ${line.join(', ')}`)
  }
  console.log(`medians: ${variants.map((v) => `${v} ${Math.round(median(rates[v]))}/s`).join(', ')}`)
})
