/**
 * The verifier reads the topic back (from a little before the run's start to
 * the end offsets it finds when it begins) and keeps, for each expected key of
 * its worker, the last record of this run: seq, delete or not, digest, and the
 * partition. It then compares that final state with the expectation, and
 * checks on the way that each key lives in one partition with its seqs rising.
 * Memory: a few numbers per expected key, never per record.
 */
import type { ExpectedRow, Mismatch, PluginContext, VerificationReport, Verifier } from '@cdcb/core'
import type { KafkaRecord } from '@platformatic/kafka'
import { connectWithin } from './client.js'
import { createDecoder } from './formats.js'
import { millis, type ResolvedKafkaOptions } from './options.js'
import { PartitionReader } from './reader.js'
import { createConsumer, offsetsOf } from './sink.js'

const MAX_MISMATCHES = 20
/** Records of this run cannot be older than the schedule start; the margin covers producer clock skew (CreateTime). */
const START_MARGIN_MS = 5 * 60_000

export function createKafkaVerifier(options: ResolvedKafkaOptions, context: PluginContext): Verifier {
  return { verify: (expected) => verify(options, context, expected) }
}

async function verify(
  options: ResolvedKafkaOptions,
  context: PluginContext,
  expected: readonly ExpectedRow[],
): Promise<VerificationReport> {
  const n = expected.length
  const indexOf = new Map<number, number>()
  expected.forEach((row, i) => {
    indexOf.set(row.key, i)
  })
  const lastSeq = new Float64Array(n).fill(-1)
  const lastDeleted = new Uint8Array(n)
  const lastDigest: string[] = new Array(n).fill('')
  const partitionOf = new Int32Array(n).fill(-1)
  const problems = new Map<number, string>()
  const note = (i: number, problem: string) => {
    if (!problems.has(i)) problems.set(i, problem)
  }
  let duplicateRecords = 0
  const decode = createDecoder(options, context)

  const topics = options.topics ?? [options.topic]
  const consumer = createConsumer(options, context.runId, `verify-${context.shard}`)
  /** `topic:partition` → offset to read up to (exclusive). */
  const remaining = new Map<string, number>()
  const fromMs = Math.floor((context.startedAt() ?? Date.now() * 1e3) / 1e3) - START_MARGIN_MS
  try {
    await connectWithin(consumer, options, 'verifier consumer')
    const ends = await offsetsOf(consumer, topics, 0, 1)
    const starts = await offsetsOf(consumer, topics, 0, 1, BigInt(fromMs))
    const seeks = []
    for (const end of ends) {
      const start = starts.find((s) => s.topic === end.topic && s.partition === end.partition)
      const from = start && start.offset >= 0n ? start.offset : end.offset
      if (from >= end.offset) continue
      remaining.set(`${end.topic}:${end.partition}`, Number(end.offset))
      seeks.push({ ...end, offset: from })
    }
    if (remaining.size > 0) {
      let done: () => void = () => {}
      const finished = new Promise<void>((resolve) => {
        done = resolve
      })
      const onRecord = (
        message: KafkaRecord,
        _t: number,
        topic: string,
        partition: number,
        offset: number,
      ) => {
        const id = `${topic}:${partition}`
        const end = remaining.get(id)
        if (end === undefined || offset >= end) return
        if (offset + 1 >= end) {
          remaining.delete(id)
          if (remaining.size === 0) done()
        }
        const record = decode(message)
        if (!record || record.corrupt !== undefined) return
        const i = indexOf.get(record.key)
        if (i === undefined) return
        if (partitionOf[i] === -1) partitionOf[i] = partition
        else if (partitionOf[i] !== partition) {
          note(i, `order: key written to partitions ${partitionOf[i]} and ${partition}`)
        }
        if (record.seq === lastSeq[i]) duplicateRecords++
        else if (record.seq < lastSeq[i]!) {
          note(i, `order: seq ${record.seq} after seq ${lastSeq[i]} in partition ${partition}`)
        }
        if (record.seq >= lastSeq[i]!) {
          lastSeq[i] = record.seq
          lastDeleted[i] = record.deleted ? 1 : 0
          lastDigest[i] = record.digest
        }
      }
      const reader = new PartitionReader(consumer, seeks, onRecord, {
        maxWaitMs: 250,
        log: (m) => context.log(m),
        what: `verifier ${context.shard}`,
      })
      await reader.start()
      const timeoutMs = millis(options.verifyTimeout)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
      reader.stop()
      if (remaining.size > 0) {
        context.log(
          `kafka verifier ${context.shard}: read for ${options.verifyTimeout} and ${remaining.size} partitions were not read to their end; keys there may show as mismatches`,
        )
      }
    }
  } finally {
    await consumer.close(true).catch(() => {})
  }

  expected.forEach((row, i) => {
    const seen = lastSeq[i]! >= 0
    const got = seen ? `last record seq ${lastSeq[i]}${lastDeleted[i] ? ' (delete)' : ''}` : 'no record'
    if (row.exists) {
      if (!seen || lastDeleted[i]) note(i, `missing: expected seq ${row.seq}, ${got}`)
      else if (lastSeq[i] !== row.seq) note(i, `content: expected seq ${row.seq}, ${got}`)
      else if (lastDigest[i] !== context.digest(row.seq))
        note(i, `content: seq ${row.seq} has a wrong digest`)
    } else if (seen && !lastDeleted[i]) note(i, `unexpected: expected deleted by seq ${row.seq}, ${got}`)
    else if (seen && lastSeq[i] !== row.seq) note(i, `content: expected delete seq ${row.seq}, ${got}`)
  })
  if (duplicateRecords > 0) {
    context.log(
      `kafka verifier ${context.shard}: ${duplicateRecords} duplicate records of this run in the log`,
    )
  }
  const mismatches: Mismatch[] = []
  for (const [i, detail] of problems) {
    if (mismatches.length >= MAX_MISMATCHES) break
    const problem = detail.startsWith('missing')
      ? 'missing'
      : detail.startsWith('unexpected')
        ? 'unexpected'
        : 'content'
    mismatches.push({ key: expected[i]!.key, problem, detail })
  }
  return { checked: n, mismatched: problems.size, mismatches }
}
