import type { PluginRef } from '../plugin.js'
import type { Duration } from '../units.js'

/** A stage of the open-model schedule: hold `rate`, or ramp linearly from the previous rate to `target`. */
export type Stage = { duration: Duration; rate: number } | { duration: Duration; target: number }

/** How much load to apply, and how. */
export interface LoadConfig {
  /**
   * Operations per second (open model): the schedule fixes when each operation
   * should start, whatever the target does.
   * @default 1000
   */
  rate?: number
  /**
   * How long to apply `rate`, after the warmup. Ignored when `stages` is given.
   * @default "30s"
   */
  duration?: Duration
  /**
   * Load applied at the initial rate before measuring; excluded from latencies and rates.
   * @default 0
   */
  warmup?: Duration
  /** Stages instead of a constant rate, e.g. a burst: `[{duration:'1m',rate:100},{duration:'2m',rate:5000},{duration:'1m',rate:100}]`. */
  stages?: Stage[]
  /** Closed model instead: this many writers in all, each sending its next operation when the last is acknowledged. */
  concurrency?: number
  /**
   * Operations a worker may have written but not yet acknowledged; beyond it, operations wait and are sent late.
   * @default 10000
   */
  maxInFlight?: number
  /**
   * Most operations handed to one `Source.write` call.
   * @default 1000
   */
  batchSize?: number
  /**
   * Shares of each kind of operation.
   * @default { insert: 70, update: 20, delete: 10 }
   */
  mix?: { insert?: number; update?: number; delete?: number }
  /**
   * Size of the key space; updates and deletes pick keys that exist.
   * @default 100000
   */
  keys?: number
  /**
   * Characters of payload per insert or update.
   * @default 100
   */
  payloadSize?: number
  /**
   * Seed for kinds, keys, payloads and the memory plugin's faults.
   * @default derived from the run id when one is given (`--run-id`, `runId`: every shard of a run draws the same), else random; printed in the result
   */
  seed?: number
  /**
   * After the load, how long to wait for events still in the pipeline before declaring them lost.
   * @default "30s"
   */
  drainTimeout?: Duration
  /**
   * An operation sent more than this after its intended time counts as late.
   * @default "10ms"
   */
  lateAfter?: Duration
}

/** A built-in reporter's name (`plain`, `summary`, `json`, `junit`, `tui`), `[name, options]`, or a plugin. */
export type ReporterSpec = string | [string, Record<string, unknown>] | PluginRef

/** A benchmark config, as `cdcb.config.ts` exports it. Only `source` and `sink` are required. */
export interface UserConfig {
  /** Shown in reports. @default the config file's name */
  name?: string
  /** Writes the changes: a plugin with a source. */
  source: PluginRef
  /** Observes the far end: a plugin with a sink. */
  sink: PluginRef
  /** Compares the expected final state with the target after the drain; `false` for none. @default none */
  verify?: PluginRef | false
  /**
   * Sets up, watches and controls the pipeline under test for the run (e.g.
   * `kafkaConnect({ url, connectors })` registers Debezium connectors and
   * removes them after): a plugin with a pipeline part. @default none: the
   * pipeline is the user's, cdcb only writes and observes
   */
  pipeline?: PluginRef
  /** Fraction of touched keys the verifier checks. @default 1 */
  verifySample?: number
  load?: LoadConfig
  /** Worker threads; each owns a shard of seqs and keys. @default the number of CPU cores */
  workers?: number
  /** How often workers report and the live output updates. @default "1s" */
  interval?: Duration
  /** Checks evaluated at the end, e.g. `{ 'e2e.p99': '< 2s', lost: '== 0' }`. */
  slo?: Record<string, string | string[]> | string[]
  /** Stop the run as soon as a latency, throughput or error SLO fails. @default false */
  abortOnFail?: boolean
  /**
   * Where results go besides the summary, e.g. `[['json', { file: 'result.json' }]]`; a relative `file`
   * resolves against the config file's folder. @default ["plain"] when not a TTY, ["tui"] at a terminal
   */
  reporters?: ReporterSpec[]
  /** Planned disturbances, e.g. `[{ at: '30s', for: '10s', action: { signal: 'SIGSTOP', pidFile: 'kafka.pid' } }]`. */
  faults?: FaultConfig[]
  recovery?: RecoveryConfig
  /**
   * This process runs shard INDEX of COUNT of one run (`"1/3"`; `--shard`): the
   * plan's seqs and keys split across the shards as across workers (shard i sends
   * the seqs `seq % COUNT === i`). Needs `runId` and `startAt`, the same in every shard.
   */
  shard?: string
  /** The run's id instead of a random one (`--run-id`): 1 to 24 lowercase letters and digits. */
  runId?: string
  /**
   * When the schedule starts (`--start-at`): epoch seconds, or ISO 8601 with a zone.
   * cdcb prepares, then waits until then; a time more than 2 s past or 24 h
   * ahead (milliseconds given as seconds) is refused, and a start over 100 ms late warns.
   */
  startAt?: number | string
}

/**
 * Something to do to the pipeline under test during the run, and undo later:
 * - `{ exec: "cmd …" | ["cmd", …], undo? }` runs a command (a string through /bin/sh) in the
 *   config file's folder and a process group of its own; a command still running after 30 s,
 *   or when the run stops, is killed with its whole group;
 * - `{ signal: "SIGSTOP", pidFile }` signals the process whose pid the file
 *   holds (relative to the config file; a number, or JSON `{ "pid": … }` like the
 *   services harness's `$CDCB_SERVICES_TMP/kafka/kafka.pid`); SIGSTOP and SIGTSTP are
 *   undone with SIGCONT, other signals have no undo;
 * - `{ pipeline: "pause", args?, undo: "resume", undoArgs? }` calls an action of the
 *   config's `pipeline` part; with `for` and no `undo`, the action its plugin names undoes it.
 */
export type FaultAction =
  | { exec: string | string[]; undo?: string | string[] }
  | { signal: string; pidFile: string }
  | { pipeline: string; args?: Record<string, unknown>; undo?: string; undoArgs?: Record<string, unknown> }

/** A planned disturbance; its start and end are run events, and recovery after it is measured. */
export interface FaultConfig {
  /**
   * Shown in events and the result. @default the action: "SIGSTOP", "pause", or an exec command's program
   * ("docker"); a default another fault has already gets its place ("docker (faults.2)")
   */
  name?: string
  /** When, from the start of the schedule (warmup included), e.g. `"30s"` (a bare number is milliseconds, as in every duration). */
  at: Duration
  /**
   * How long before it is undone, e.g. `"10s"`. Without it the fault is a one-shot action, never undone, and its
   * recovery counts from its start; an undo without `for`, or a `for` that nothing undoes, is a config error.
   */
  for?: Duration
  action: FaultAction
}

/** How recovery after a fault or burst is judged (see `Recovery` in the result). */
export interface RecoveryConfig {
  /** The window before the disturbance whose backlog and e2e p99 are the level to come back to. @default "10s" */
  baseline?: Duration
  /** Recovered once an interval's e2e p99 is within this factor of the baseline's. @default 2 */
  latencyFactor?: number
}

/** Identity helper that gives a config its types. */
export function defineConfig(config: UserConfig): UserConfig {
  return config
}
