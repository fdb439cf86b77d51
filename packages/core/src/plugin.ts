/**
 * The plugin API. A plugin is an npm package whose default export is made with
 * `definePlugin`. Each worker thread imports it by name and asks it for the part
 * its config slot names: `source`, `sink` or `verify`; `pipeline` and
 * `reporters` run on the main thread. Every hook is optional except the one that makes a part work.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RunShard } from './load/shard.js'
import type { RunResult, RunSnapshot } from './result.js'

/** What kind of change an operation makes. */
export type OperationKind = 'insert' | 'update' | 'delete'

/** One change cdcb makes at the head of the pipeline. Times are epoch microseconds. */
export interface Operation {
  /** Global sequence number, dense from 0; the run's identity for this change. */
  readonly seq: number
  /** The key the change applies to: an integer below `load.keys`. */
  readonly key: number
  readonly kind: OperationKind
  /** When the schedule says this operation should start; every latency counts from here. */
  readonly intendedAt: number
}

/**
 * What cdcb embeds in every record it writes so that a sink recognises its own
 * events among others' and can measure them without any shared state.
 */
export interface Marker {
  readonly runId: string
  readonly seq: number
  /** Epoch microseconds. */
  readonly intendedAt: number
  /** Digest of the payload (see `PluginContext.digest`); empty for deletes. */
  readonly digest: string
}

/** Where a worker's plugin parts report to; passed to the factories. */
export interface PluginContext {
  readonly runId: string
  /**
   * This worker's index among this process's workers, 0-based. In a run in one
   * process it owns the seqs and keys with `n % shards === shard`; in a run
   * split across processes (`runShard`) core splits them further, and a sink
   * still splits its reading by `shard` of `shards` (every process's sinks read
   * the whole run; core counts only the events its own shard sent).
   */
  readonly shard: number
  readonly shards: number
  /** Which of the run's processes this is (`cdcb run --shard i/N`); undefined for a run in one process. */
  readonly runShard?: RunShard
  readonly seed: number
  /** Bytes of payload per insert or update. */
  readonly payloadSize: number
  /** Size of the key space: every key is an integer below it, so per-key state fits an array. */
  readonly keys: number
  /** Epoch microseconds at which the schedule started; undefined before the start. */
  startedAt(): number | undefined
  /** Aborted when the run stops; long waits inside plugins should listen to it. */
  readonly signal: AbortSignal
  /** The payload of operation `seq`, derived from `(seed, seq)`. */
  payload(seq: number): string
  /**
   * Writes the payload of operation `seq` (`payloadSize` bytes, the characters of `payload(seq)`, all
   * ASCII) into `target` at `offset`, for a source that sends bytes: no string per operation. Its digest
   * is `digestOfBytes` of those bytes. Throws a RangeError when it does not fit.
   */
  writePayload(seq: number, target: Uint8Array, offset: number): void
  /** Digest of the payload of operation `seq` (8 hex characters). */
  digest(seq: number): string
  /** The marker for an operation. */
  marker(op: Operation): Marker
  /** Reads a marker from its compact string form (`encodeMarker`); undefined for foreign or malformed text. */
  parseMarker(text: string): Marker | undefined
  /** A one-line message for the user (shown above the live output); never put a secret in it. */
  log(message: string): void
  /**
   * Whether a sink of this process has observed operation `seq` (any worker's;
   * false for a seq never observed or outside the run). For a verifier that
   * finds a copy of a delivered message still at the source (SQS: a delete that
   * failed) and must not call it undelivered. Undefined where core has no
   * tracker (contexts made by tests).
   */
  observed?(seq: number): boolean
}

/** Writes operations into the system at the head of the pipeline. Created once per worker. */
export interface Source {
  /** Called once before the schedule starts; connect here. Throwing fails the run with exit 3. */
  open?(): Promise<void>
  /**
   * Writes a batch of operations; resolves when the target acknowledged all of them.
   * Called from the worker's scheduler; calls overlap up to `load.maxInFlight` operations.
   * Operations on one key arrive in seq order; keep them in that order (route by key).
   * Rejecting counts every operation of the batch as an error, by the error's kind; when only some
   * failed and the rest were applied, reject with `PartialWriteFailure` naming the failed seqs.
   */
  write(ops: readonly Operation[]): Promise<void>
  /** Called once after the load phase and drain; disconnect here. */
  close?(): Promise<void>
  /** Counts the source wants in the result, e.g. what a fault injector did. Called once at the end. */
  stats?(): Record<string, number>
}

/** Receives what a sink saw. Calls are synchronous and cheap; call it once per change seen. */
export interface Observer {
  /**
   * Records one change seen at the far end: its seq and key, and `intendedAt`
   * from the marker. `committedAt` is when the change became visible at the
   * target, stamped by the target (omit it when the target has no such stamp:
   * `observedAt` is used); `observedAt` defaults to now. All epoch microseconds.
   * `stamps` are the event's values of the stamps `Sink.stamps` declares, in that order (NaN where this
   * event lacks one); reuse one array across calls, core reads it before `observe` returns.
   */
  observe(
    seq: number,
    key: number,
    intendedAt: number,
    committedAt?: number,
    observedAt?: number,
    stamps?: ArrayLike<number>,
  ): void
  /** Counts a record that carried a marker of this run but could not be read (wrong digest, bad shape). */
  corrupt(seq: number, reason: string): void
  /**
   * Counts a failure of the sink's own work that lost no event (an SQS delete
   * refused, so the message comes back as a duplicate): `count` occurrences of
   * `kind` in the result's `errors`, shown in the summary; failed writes and the
   * error rate are unchanged. Counted until `Sink.stop` resolves. Optional so
   * that observers made outside core (tests) need not provide it.
   */
  error?(kind: string, message: string, count?: number): void
  /**
   * Tells core that a read of the target completed (a fetch, a poll, a query
   * or a keepalive answered, with or without changes): the sink could see at
   * that moment. A drain that ends with events unseen and nothing arriving
   * calls them lost only if the sink was still getting answers in its quiet
   * period; when its last answer came before it (a server frozen or
   * unreachable to the end), they are unresolved: quiet from a sink that
   * cannot read says nothing about the pipeline. A sink that never calls it is
   * judged by quiet alone. Call it once per answer, not per change; it is cheap.
   */
  answered?(): void
}

/**
 * One stamp a sink reads from each event along the pipeline, e.g. Debezium's
 * `source.ts_us`. Each declared stamp ends a hop (`hop.<name>`) that begins at
 * the stamp before it, or at cdcb's intended time for the first.
 */
export interface StampInfo {
  /** Names the hop that ends here, as SLOs and reports write it: `hop.connector.p99`. Letters, digits, _. */
  readonly name: string
  /** What the stamp is and whose clock took it, e.g. "Debezium ts_us: the connector processed the change". */
  readonly description: string
  /** The coarsest resolution the stamp can have, µs: 1, 1000 for milliseconds, 1e6 for MySQL's source.ts_ms. */
  readonly resolutionMicros: number
}

/** Watches the far end of the pipeline. Created once per worker. */
export interface Sink {
  /**
   * Starts observing and resolves once the sink is ready to see changes made from
   * now on; the schedule starts after every worker's sink has started. Each worker
   * has a sink: a sink that must run only once per run observes on shard 0 only.
   */
  start(observer: Observer): Promise<void>
  /** Stops observing; called once after the drain. Observations after it resolves are ignored. */
  stop?(): Promise<void>
  /** Which time base `committedAt` uses, shown in the report (e.g. "target apply time (trigger)"). */
  readonly timeBase?: string
  /** The stamps `observe` gets besides `committedAt`, in pipeline order; read once after `start`. */
  readonly stamps?: readonly StampInfo[]
  /**
   * How coarse `committedAt` is, in microseconds (1000 for millisecond stamps;
   * include the uncertainty of any clock-offset correction), read once after
   * `start`. Core counts a latency in (-resolution, 0) as 0 and any lower one as
   * below zero (reported, kept out of the percentiles). @default 0
   */
  readonly stampResolutionMicros?: number
  /** Counts the sink wants in the result (`plugins.sink`, summed over workers), e.g. records by kind. Called once at the end. */
  stats?(): Record<string, number>
}

/** The final state cdcb expects at the target for one key. */
export interface ExpectedRow {
  readonly key: number
  /** False when the last operation deleted the key. */
  readonly exists: boolean
  /** Seq of the last operation on the key. */
  readonly seq: number
}

/** One difference between the expected and the actual final state. */
export interface Mismatch {
  readonly key: number
  readonly problem: 'missing' | 'unexpected' | 'content'
  readonly detail?: string
}

/** What a verifier found for one shard's keys. */
export interface VerificationReport {
  readonly checked: number
  readonly mismatched: number
  /** At most a few dozen examples; `mismatched` has the full count. */
  readonly mismatches: readonly Mismatch[]
}

/** Compares the expected final state with what the target holds. Created once per worker, after the drain. */
export interface Verifier {
  /** Checks every row given (the worker's keys, or the configured sample). */
  verify(expected: readonly ExpectedRow[]): Promise<VerificationReport>
  /** Disconnect here. */
  close?(): Promise<void>
  /**
   * Test capability, called only by `@cdcb/core/testing` in the verifier's worker
   * before `verify`: change what the target holds for `key` behind cdcb's back
   * (alter the row if it exists, create one if it does not), so the kit can prove
   * that `verify` reports it. Without it the kit says it could not check.
   */
  tamper?(key: number): Promise<void>
}

/** What a log line is, besides a message: `notice` when cdcb changed something outside the run (`RunContext.log`). */
export type LogKind = 'notice'

/** Run-level context given to main-thread hooks. */
export interface RunContext {
  readonly runId: string
  /** The config's name, or the config file's base name. */
  readonly name: string
  readonly seed: number
  readonly shards: number
  /**
   * Which of the run's processes this is (`cdcb run --shard i/N`); undefined for
   * a run in one process. Every shard prepares with the same run id: objects the
   * run shares must be created once and removed by the last shard out.
   */
  readonly runShard?: RunShard
  /** Aborted on Ctrl-C; a long prepare step should stop when it is. */
  readonly signal: AbortSignal
  /**
   * A one-line message for the user. `notice`: cdcb changed something that is
   * not this run's (it deleted what a dead run left), which the user must hear
   * of even with `--quiet`; other messages go with the live output.
   */
  log(message: string, kind?: LogKind): void
}

/** Main-thread resources a plugin makes once per run (tables, topics, slots) and removes after it. */
export interface Preparation {
  /**
   * Called once after the run, also after Ctrl-C or a failure; the parts of a run tear down at once, under one
   * deadline for all of them. `signal` aborts when that deadline passes: stop waiting for servers (a frozen one
   * never answers) and throw an error naming what is left behind and how to remove it (the SQL to run, say).
   */
  teardown?(signal: AbortSignal): Promise<void>
}

/**
 * Where a pipeline part reports what happens to the system under test; main
 * thread, calls never block. Each call is a run event: logged live and listed
 * in the result's `pipeline.events` with its time.
 */
export interface PipelineEvents {
  /** Something the user should see that is not a failure, e.g. "task 0 of pg-source paused". */
  event(kind: string, message: string): void
  /**
   * Something went wrong that the pipeline recovered from (a task restarted by
   * itself): counted as an error of `kind` in the result; the run goes on and
   * its SLOs decide.
   */
  error(kind: string, message: string): void
  /**
   * The pipeline failed (a task FAILED, a connector vanished): counted as an
   * error of `kind` in the result, and the run fails (status `failed`) whatever
   * its SLOs say, so lost events never look like a slow pipeline.
   */
  fail(kind: string, message: string): void
}

/**
 * Sets up, watches and controls the pipeline under test for one run (e.g.
 * registers Debezium connectors, pauses one for a fault) and removes what it
 * made. Created once per run on the main thread; its hooks never overlap.
 */
export interface Pipeline {
  /**
   * Called once after every `prepare` (tables exist) and before any worker
   * starts; resolves when the pipeline can carry changes. Throwing stops the
   * run (exit 3) before anything is written; `teardown` is still called.
   */
  setup?(): Promise<void>
  /**
   * Called once when the schedule starts; watches until `signal` aborts (after
   * the drain, or on Ctrl-C), reporting through `events`. Must not throw: a
   * problem it finds is `events.fail`.
   */
  watch?(events: PipelineEvents, signal: AbortSignal): void
  /**
   * What scenarios and faults may do to the pipeline during the run, by name
   * (e.g. `pause`, `resume`, `restartTask`); each resolves when done.
   */
  readonly actions?: Readonly<Record<string, (args?: Record<string, unknown>) => Promise<void>>>
  /**
   * Called once after the run, also after Ctrl-C or a failed setup: remove what `setup` made. `signal` aborts
   * when the run's teardown deadline passes: stop waiting and throw an error naming what is left behind.
   */
  teardown?(signal: AbortSignal): Promise<void>
}

/**
 * Receives the run's progress on the main thread. Hooks never overlap; a slow
 * reporter delays only other reporters, never the workers.
 */
export interface Reporter {
  /** Called once before the schedule starts. */
  onRunStart?(info: RunStartInfo): void | Promise<void>
  /** Called every interval with the merged snapshot of all workers. */
  onSnapshot?(snapshot: RunSnapshot): void | Promise<void>
  /** A one-line message from cdcb or a plugin; `kind` `notice` is shown even when live output is off (`--quiet`). */
  onLog?(message: string, kind?: LogKind): void | Promise<void>
  /** Called once with the final result, also for an interrupted run. */
  onRunEnd?(result: RunResult): void | Promise<void>
  /**
   * Called after `onRunEnd` when the result changed once the report was made: a
   * teardown that failed turns the run into a runtime failure (`status: "failed"`,
   * exit code 3). A reporter that wrote the result to a file rewrites it here, so
   * the file carries the final status; one that printed it need do nothing.
   */
  onRunAmended?(result: RunResult): void | Promise<void>
}

/** What reporters learn before the run starts. */
export interface RunStartInfo {
  readonly runId: string
  readonly name: string
  readonly workers: number
  /** Planned schedule, for progress bars: warmup and measured phase in seconds (Infinity when open-ended). */
  readonly warmupSeconds: number
  readonly measureSeconds: number
  readonly slo: readonly string[]
  readonly source: string
  readonly sink: string
}

/**
 * A validator in the Standard Schema shape (zod, valibot, ArkType all provide it):
 * the official `StandardSchemaV1` type, so it fits `exactOptionalPropertyTypes`.
 * Core validates options with `~standard.validate` only; a schema that also
 * implements Standard JSON Schema (`~standard.jsonSchema`) gets did-you-mean
 * hints for misspelt keys.
 */
export type StandardSchema<Output = unknown> = StandardSchemaV1<unknown, Output>

/** Which config slot a plugin part is used in. */
export type Slot = 'source' | 'sink' | 'verify' | 'pipeline' | 'reporter'

/** What a plugin package exports by default. `Options` is what its schema accepts. */
export interface PluginDefinition<Options = Record<string, unknown>> {
  /** Short name, e.g. `postgres`; matches the package `@cdcb/plugin-<name>` or `cdcb-plugin-<name>`. */
  readonly name: string
  /** Semver range of `@cdcb/core` this plugin works with, e.g. `^0.1.0`. */
  readonly core: string
  /** Validates options for every slot; issues are shown with the slot and path (`source.options.url: …`). */
  readonly options?: StandardSchema<Options>
  /**
   * The slots whose part reads the options, when not all do: options given in
   * another slot would be silently ignored, so core refuses them up front.
   * @default every slot
   */
  readonly optionsIn?: readonly Slot[]
  /** Called once per worker when the plugin is in the `source` slot. */
  createSource?(options: Options, context: PluginContext): Source | Promise<Source>
  /** Called once per worker when the plugin is in the `sink` slot. */
  createSink?(options: Options, context: PluginContext): Sink | Promise<Sink>
  /** Called once per worker after the drain when the plugin is in the `verify` slot. */
  createVerifier?(options: Options, context: PluginContext): Verifier | Promise<Verifier>
  /**
   * Called once on the main thread when the plugin is in the `pipeline` slot,
   * after every other slot's `prepare` (the tables it captures exist); `prepare`
   * is not called for this slot: the part's `setup` does that work.
   */
  createPipeline?(options: Options, context: RunContext): Pipeline | Promise<Pipeline>
  /**
   * The actions the pipeline part offers (the keys of its `Pipeline.actions`), each with the action
   * that undoes it, if any; read when the config is checked. A fault naming another action is a
   * config error before any server is touched (without this list, once the part exists), and a
   * fault with `for` but no `undo` is undone with the action named here (`stall` → `resume`).
   */
  readonly pipelineActions?: PipelineActionList
  /** Called on the main thread when the plugin is listed in `reporters`. */
  createReporter?(options: Options, context: RunContext): Reporter | Promise<Reporter>
  /**
   * Called once on the main thread before any worker starts, for each slot the
   * plugin fills: create tables, topics, slots here (only objects cdcb owns).
   * Throwing stops the run before anything is written.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a prepare step that makes nothing simply returns
  prepare?(slot: Slot, options: Options, context: RunContext): Promise<Preparation | void>
  /**
   * Test capability, called only by `@cdcb/core/testing` on the main thread after
   * the run and its teardown: lists the objects of run `context.runId` this plugin
   * made for `slot` that still exist (tables, topics, keys, files), one short name
   * each; empty when teardown removed everything.
   */
  leftovers?(slot: Slot, options: Options, context: RunContext): Promise<readonly string[]>
  /**
   * Called by `cdcb clean` on the main thread, once per slot the plugin fills:
   * find what runs that are no longer running left on the servers the options
   * name (slots, tables, topics), say what each holds, and drop it — or only
   * say so when `dryRun`. Never touches a live run's objects.
   */
  clean?(slot: Slot, options: Options, context: CleanContext): Promise<void>
}

/** What `clean` gets: where to say what it found, and whether to leave it in place. */
export interface CleanContext {
  readonly dryRun: boolean
  /** `cdcb clean` prints every line; `kind` is accepted so one sweep function serves a run's prepare and clean. */
  log(message: string, kind?: LogKind): void
  /**
   * Servers already cleaned by this `cdcb clean`, shared by every slot it calls `clean` for (as identities the
   * plugin chooses, e.g. `host:port/database`): a server a config names twice (source and sink on one database)
   * is cleaned and reported once. Add one when you clean it; skip it when present.
   */
  readonly cleaned?: Set<string>
}

/** A pipeline part's actions by name, each with the action that undoes it (`{ pause: { undo: 'resume' }, resume: {} }`). */
export type PipelineActionList = Readonly<Record<string, { readonly undo?: string }>>

/** Identity helper that gives a plugin definition its types. */
export function definePlugin<Options>(plugin: PluginDefinition<Options>): PluginDefinition<Options> {
  return plugin
}

/**
 * A plugin as a config names it: plain data, because functions cannot cross into
 * worker threads. Plugin packages export a factory returning one, e.g.
 * `postgres({ url })` → `{ plugin: '@cdcb/plugin-postgres', options: { url } }`.
 */
export interface PluginRef<Options = Record<string, unknown>> {
  readonly plugin: string
  readonly options?: Options
}

/** Makes the typed factory a plugin package exports next to its definition. */
export function pluginRef<Options>(plugin: string): (options?: Options) => PluginRef<Options> {
  return (options) => (options === undefined ? { plugin } : { plugin, options })
}
