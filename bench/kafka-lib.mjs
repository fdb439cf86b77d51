// Helpers for the Kafka benchmarks: topics, Kafka's own tools from the harness's jars.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { Admin } from '@platformatic/kafka'

/** Topics this process created and has not deleted yet. */
const created = new Set()

/**
 * A benchmark's topic names its process (`bench-…-p<pid>-<hex>`), so the next
 * benchmark can delete the topics of one killed before its cleanup (kill -9).
 */
const BENCH_TOPIC = /^bench-.+-p(\d+)-[0-9a-f]{6}$/

/** Creates a fresh topic (LogAppendTime) and returns its name; `deleteTopics` removes it. */
export async function createTopic(brokers, prefix, partitions) {
  const topic = `${prefix}-p${process.pid}-${randomBytes(3).toString('hex')}`
  const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-bench' })
  try {
    await admin.createTopics({
      topics: [topic],
      partitions,
      replicas: -1,
      configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    })
    created.add(topic)
    // Wait until every partition has a leader, so the first writes do not fail.
    for (let i = 0; i < 100; i++) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined)
      const parts = metadata?.topics.get(topic)?.partitions ?? []
      if (parts.length === partitions && parts.every((p) => p && p.leader >= 0)) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await admin.close()
  }
  return topic
}

/**
 * Deletes the topics this process created (all, or the ones named): a benchmark
 * writes gigabytes, and topics left behind fill the disk run after run.
 */
export async function deleteTopics(brokers, topics = [...created]) {
  if (topics.length === 0) return
  const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-bench' })
  try {
    await admin.deleteTopics({ topics })
    for (const topic of topics) created.delete(topic)
  } catch (error) {
    console.error(`could not delete topics ${topics.join(', ')}: ${error.message}`)
  } finally {
    await admin.close()
  }
}

/**
 * Deletes the topics of benchmarks whose process is gone (the broker is the
 * harness's, on this machine, so a pid names a process here; a reused pid
 * keeps its topics, the safe side).
 */
async function sweepKilledBenchTopics(brokers) {
  const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-bench' })
  try {
    const dead = (await admin.listTopics()).filter((topic) => {
      const pid = Number(BENCH_TOPIC.exec(topic)?.[1])
      if (!pid) return false
      try {
        process.kill(pid, 0)
        return false
      } catch (error) {
        return error.code === 'ESRCH'
      }
    })
    if (dead.length === 0) return
    await admin.deleteTopics({ topics: dead })
    console.log(
      `deleted ${dead.length} topic(s) of benchmarks killed before their cleanup: ${dead.join(', ')}`,
    )
  } catch (error) {
    console.error(`could not look for topics of killed benchmarks: ${error.message}`)
  } finally {
    await admin.close()
  }
}

/**
 * Runs `body` with the broker the services harness provides, and whatever
 * happens (an error, Ctrl-C) deletes the topics made meanwhile and stops the
 * broker if this process started it; first deletes the topics of benchmarks
 * killed with kill -9 (they cannot clean up).
 */
export async function withKafka(body) {
  const { down, up } = await import('../services/index.mjs')
  // Figures taken on a busy machine are noise: say how busy it was, before and after.
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
  console.log(`load average at start: ${load()} (${os.cpus().length} cores)`)
  const kafka = await up('kafka')
  const brokers = kafka.address
  await sweepKilledBenchTopics(brokers)
  const cleanup = async () => {
    await deleteTopics(brokers)
    if (kafka.startedByUs) await down('kafka')
  }
  const onSignal = () => {
    cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await body(brokers)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
    console.log(`load average at end: ${load()}`)
  }
}

/** Runs a class from the kafka-tools jar cached by the services harness; resolves with stdout. */
export async function kafkaTool(mainClass, args) {
  const cache =
    process.env.CDCB_SERVICES_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdcb', 'services')
  const classpath = path.join(cache, 'kafka', 'lib', '*')
  const { stdout } = await promisify(execFile)(
    'java',
    ['-Xmx512m', '-Dlog4j2.level=warn', '-cp', classpath, mainClass, ...args],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  return stdout
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
