/**
 * Shards of one run across processes (`cdcb run --shard i/N --run-id ID --start-at T`).
 *
 * A run with W workers splits its plan by worker: worker w of W sends the seqs
 * `seq % W === w` and owns the keys `key % W === w` (`KeySpace`). A run split
 * into N shards of W workers each is split the same way over N × W workers,
 * worker w of shard i being the plan's worker `w × N + i`. So shard i sends
 * exactly the seqs `seq % N === i` and owns the keys `key % N === i`, and N
 * shards of W workers send the same operations, to the same keys, at the same
 * intended times, as one process with N × W workers. Every shard must use the
 * same W: a plan worker picks its keys among `keys / (N × W)`, so shards with
 * different W pick other keys than any one process would (`cdcb merge` refuses them).
 */

/** Shard `index` (0-based) of `count` shards of one run. */
export interface RunShard {
  readonly index: number
  readonly count: number
}

/** The most shards of one run: each shard's workers multiply the plan's workers, and an index is a seq residue. */
export const MAX_SHARDS = 4096

/** How far in the past `--start-at` may be when the run is started: a later start is refused (exit 2). */
export const START_AT_TOLERANCE_MICROS = 2e6

/**
 * How far ahead `--start-at` may be: a shard waits that long holding what it prepared (slots,
 * connections), and a start days away is a typo (a wrong day or year), not a plan.
 */
export const START_AT_MAX_AHEAD_MICROS = 24 * 3600e6

/**
 * How late a shard may start its schedule after `--start-at` before its result (and the merge) warn.
 * The merge lines the shards' intervals up on the shared start and sums them, and every shard's
 * operations are intended from that start: a shard L late sends nothing for L, then catches up with
 * late operations whose latency carries up to L. 100 ms is a tenth of the default 1 s interval (the
 * first merged interval's rate is then off by at most a tenth of that shard's share) and far above
 * a timer's lateness (a few ms), so only a real skew is reported.
 */
export const START_LATE_WARNING_MICROS = 100_000

/** Epoch seconds from here on (the year 5138) are surely milliseconds or microseconds. */
const EPOCH_SECONDS_LIMIT = 1e11

/** Lowercase letters and digits: a run id becomes part of object names (PostgreSQL slots allow no more). */
export const RUN_ID_PATTERN = /^[a-z0-9]{1,24}$/

/** `"1/3"` as shard 1 of 3; a message saying what is wrong otherwise. */
export function parseShard(text: string): RunShard | string {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (!match) return 'expected INDEX/COUNT with a 0-based index, such as "0/3" for the first of three shards'
  const index = Number(match[1])
  const count = Number(match[2])
  if (count < 1 || count > MAX_SHARDS) return `expected a shard count from 1 to ${MAX_SHARDS}`
  if (index >= count) return `expected an index from 0 to ${count - 1} (indexes are 0-based)`
  return { index, count }
}

/**
 * A start time as epoch microseconds (whole): a number or digits are epoch
 * seconds (fractions allowed); text is ISO 8601 with a date, a time and a zone
 * (`Z` or `±hh:mm`), since a zone-less time would mean each machine's own zone.
 * A message saying what is wrong otherwise.
 */
export function parseStartAt(value: number | string): number | string {
  const expected =
    'expected epoch seconds (such as 1767225600) or an ISO 8601 time with a zone (such as 2026-12-06T21:30:00Z)'
  let seconds: number
  if (typeof value === 'number') seconds = value
  else if (/^\s*\d+(\.\d+)?\s*$/.test(value)) seconds = Number(value)
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim()))
    seconds = Date.parse(value.trim()) / 1000
  else return expected
  if (!Number.isFinite(seconds) || seconds <= 0) return expected
  // `date +%s%3N` gives milliseconds: read as seconds it is a start tens of millennia away.
  if (typeof value === 'number' || !/T/i.test(value)) {
    if (seconds >= EPOCH_SECONDS_LIMIT)
      return 'this looks like epoch milliseconds (or finer), not seconds — give epoch seconds (date +%s) or ISO 8601 with a zone'
  }
  return Math.ceil(seconds * 1e6)
}

/** The plan's worker that worker `worker` of `workers` in this process is, and how many the plan has. */
export function planWorker(
  shard: RunShard | undefined,
  worker: number,
  workers: number,
): { shard: number; shards: number } {
  if (!shard) return { shard: worker, shards: workers }
  return { shard: worker * shard.count + shard.index, shards: workers * shard.count }
}

/** Whether `seq` is one this shard sends (always, for a run not split into shards). */
export function shardOwnsSeq(shard: RunShard | undefined, seq: number): boolean {
  return shard === undefined || shard.count === 1 || seq % shard.count === shard.index
}

/** `1/3`, as written on the command line. */
export function formatShard(shard: RunShard): string {
  return `${shard.index}/${shard.count}`
}

/**
 * Why a shard of several (`--shard i/N`, N > 1) does not judge a rate SLO: the
 * expression is the whole run's (`throughput >= 3000/s`) while the shard sends
 * 1/N of it, so `cdcb merge` judges it on the shards' sum. Undefined otherwise.
 */
export function shardRateNote(
  shard: RunShard | undefined,
  metric: { readonly kind: string; readonly name: string },
): string | undefined {
  if (!shard || shard.count < 2 || metric.kind !== 'counter' || metric.name !== 'throughput') return undefined
  return `judged at merge: this shard sends 1/${shard.count} of the run's rate, and the expression is the whole run's — cdcb merge checks it on the shards' sum`
}
