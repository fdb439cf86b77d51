// Helpers for the Kafka benchmarks: topics, Kafka's own tools from the harness's jars.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs

/** Creates a fresh topic and returns its name. */
export async function createTopic(brokers, prefix, partitions) {
  const topic = `${prefix}-${randomBytes(3).toString('hex')}`
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: partitions,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  })
  await admin.disconnect()
  return topic
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
