/**
 * Messages between the main thread and the workers, over one MessagePort per
 * worker. One direction for data (workers report, the main thread merges);
 * the main thread only sends phase changes.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ResolvedLoad, ResolvedPlugin } from '../config/resolve-config.js'
import type { RunShard } from '../load/shard.js'
import type { HopCounts } from '../metrics/hops.js'
import type { SparseCounts } from '../metrics/recorder.js'
import type { TrackerBuffers } from '../metrics/tracker.js'
import type { StampInfo, VerificationReport } from '../plugin.js'
import type { LatencyMetric } from '../result.js'

/** Everything a worker needs, sent as the piscina task. */
export interface WorkerInit {
  readonly runId: string
  /** The plan's worker this is: it sends the seqs and owns the keys `n % shards === shard` (`planWorker`). */
  readonly shard: number
  readonly shards: number
  /** This worker among this process's workers, as plugins see it (`PluginContext.shard`). */
  readonly worker: number
  readonly workers: number
  /** This process's shard of the run, if the run is split across processes. */
  readonly runShard: RunShard | undefined
  readonly source: ResolvedPlugin
  readonly sink: ResolvedPlugin
  readonly verify: ResolvedPlugin | undefined
  readonly verifySample: number
  readonly load: ResolvedLoad
  readonly intervalMicros: number
  readonly tracker: TrackerBuffers
  readonly port: MessagePort
}

/** Counters a worker keeps, cumulative since the start. */
export interface WorkerCounters {
  sent: number
  acked: number
  errors: number
  observed: number
  duplicates: number
  outOfOrder: number
  late: number
  corrupt: number
  inFlight: number
  /** Observations of seqs the run never planned. */
  foreign: number
  /** Operations intended in the measured window that were sent, failed, and were late. */
  sentMeasured: number
  errorsMeasured: number
  lateMeasured: number
  /** Operations sent while the measured window was open (any operation: the generator's send rate). */
  sentMeasuredInTime: number
  /** Distinct events intended in the measured window that were observed, and when the first and last were (epoch µs, cdcb's clock). */
  observedMeasured: number
  firstMeasuredSeenAt: number
  lastMeasuredSeenAt: number
  /** The earliest and latest intended time (epoch µs) among those observed events: the span they were offered over. */
  firstMeasuredSeenIntended: number
  lastMeasuredSeenIntended: number
  /** Seq + 1 of the highest operation this worker assigned; bounds the loss scan. */
  seqLimit: number
  /** Operations by kind. */
  inserts: number
  updates: number
  deletes: number
  /** Of those: inserts drawn with every key present, sent as updates; updates/deletes drawn with none present, sent as inserts. */
  insertsAsUpdates: number
  changesAsInserts: number
}

export interface ErrorTally {
  readonly kind: string
  count: number
  lastMessage: string
}

/** A worker's latency buckets for the interval, per metric; null where nothing was recorded. */
export type IntervalCounts = Record<LatencyMetric, SparseCounts | null>

export type WorkerMessage =
  | {
      readonly type: 'ready'
      readonly shard: number
      /** This worker among this process's (`WorkerInit.worker`): worker 0's sink is the one that reads, so its time base is the run's. */
      readonly worker: number
      readonly timeBase: string | undefined
      readonly stamps?: readonly StampInfo[]
    }
  | {
      readonly type: 'failed'
      readonly shard: number
      readonly message: string
      /** The plugin threw a ConfigError (a bad option): the run ends with exit 2, not 3. */
      readonly config?: boolean
    }
  | { readonly type: 'log'; readonly message: string }
  | {
      readonly type: 'snapshot'
      readonly shard: number
      /**
       * µs from the measured window's start to the reporting tick this snapshot
       * closes (negative in the warmup); off the ticks (the last snapshots), to
       * when it was taken. What places its figures in an SLO window.
       */
      readonly sinceMeasureStart: number
      /** Latencies of measured-window events recorded since the last snapshot. */
      readonly measured: IntervalCounts
      /** Latencies of warmup events recorded since the last snapshot. */
      readonly warmup: IntervalCounts
      /** Hops of measured-window events since the last snapshot; null when the sink reads no stamps. */
      readonly hops?: HopCounts | null
      readonly counters: WorkerCounters
      readonly errors: readonly ErrorTally[]
      /** When the sink last had an answer from the target (`Observer.answered`, epoch µs); undefined if it never said. */
      readonly sinkAnsweredAt?: number | undefined
    }
  /** The schedule ended (or was stopped); writes may still be in flight. */
  | { readonly type: 'scheduleDone'; readonly shard: number }
  /** Every write settled, or `finish` said to stop waiting for them. */
  | { readonly type: 'loadDone'; readonly shard: number }
  /**
   * Posted as `finish` arrives, before the sink stops: when the sink last had an
   * answer from the target (`Observer.answered`, epoch µs); undefined when it never said.
   */
  | { readonly type: 'sinkAnswered'; readonly shard: number; readonly at: number | undefined }

export type MainMessage =
  | { readonly type: 'start'; readonly startAt: number }
  /** End the schedule now (Ctrl-C, abortOnFail, a failed worker). */
  | { readonly type: 'stop' }
  /** The drain is over: stop waiting for unsettled writes, stop the sink, verify if asked, close and return. */
  | { readonly type: 'finish'; readonly verify: boolean }

/** What a worker's task resolves with. */
export interface WorkerResult {
  readonly shard: number
  /**
   * The verifier's report, plus the keys left out because a write to them failed; `error` (counts 0)
   * when the verifier failed and verified nothing.
   */
  readonly verification:
    | (VerificationReport & { readonly skipped: number; readonly error?: string | undefined })
    | null
  readonly sourceStats: Record<string, number>
  readonly sinkStats: Record<string, number>
}
