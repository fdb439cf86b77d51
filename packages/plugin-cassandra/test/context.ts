/** A PluginContext for driving one plugin part directly in a test, as a worker would. */
import { digestOf, type PluginContext, payloadFor, writePayload } from '@cdcb/core'

export function testContext(runId: string, logs: string[] = []): PluginContext {
  const seed = 7
  const payloadSize = 64
  const controller = new AbortController()
  return {
    runId,
    shard: 0,
    shards: 1,
    seed,
    payloadSize,
    keys: 1000,
    startedAt: () => undefined,
    signal: controller.signal,
    payload: (seq) => payloadFor(seed, seq, payloadSize),
    writePayload: (seq, target, offset) => writePayload(seed, seq, target, offset, payloadSize),
    digest: (seq) => digestOf(payloadFor(seed, seq, payloadSize)),
    marker: (op) => ({
      runId,
      seq: op.seq,
      intendedAt: op.intendedAt,
      digest: digestOf(payloadFor(seed, op.seq, payloadSize)),
    }),
    parseMarker: () => undefined,
    log: (m) => void logs.push(m),
  }
}
