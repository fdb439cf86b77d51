import type { OperationKind } from '../plugin.js'
import { hash2, uniform } from './random.js'

/** Shares of each kind of operation, normalised to sum to 1. */
export interface Mix {
  readonly insert: number
  readonly update: number
  readonly delete: number
}

/**
 * One shard's keys and what the run did to them. A shard owns the keys with
 * `key % shards === shard`, so all changes to a key come from one worker, in
 * seq order. Keys start absent; inserts take an absent key, updates and deletes
 * a present one (a kind with no candidate key falls back to one that has), so
 * every operation is valid on a table with a primary key.
 *
 * An insert takes a key deleted earlier or a never-touched one, in proportion
 * to how many of each there are; never-touched keys are taken in ascending
 * order, like a serial id. So the keys touched are always local ids
 * `[0, touched)`, and memory (the arrays below, allocated zeroed, which the OS
 * commits page by page as they are first written) grows with the keys a run
 * touches, not with `load.keys`: an insert-only run can ask for 50 million
 * keys and pay only for those it reaches.
 */
export class KeySpace {
  /** Touched keys by index: present first (`[0, presentCount)`), then deleted (up to `touched`); `position` is the inverse. */
  private readonly keys: Int32Array
  private readonly position: Int32Array
  private presentCount = 0
  /** Keys touched so far, which are exactly local ids `[0, touched)`. */
  private touched = 0
  /** Seq + 1 of the last operation per local key (0: never touched); Float64 to hold any seq. */
  private readonly lastSeq: Float64Array
  /** 1 for a key a write to which failed: whether it took effect is unknown, so its final state is too. */
  private readonly uncertain: Uint8Array
  /** Keys marked in `uncertain`. */
  uncertainCount = 0
  private readonly insertBelow: number
  private readonly updateBelow: number
  readonly counts: Record<OperationKind, number> = { insert: 0, update: 0, delete: 0 }
  /** Inserts the mix drew that became updates: every key of the shard was present (no absent key left). */
  insertsAsUpdates = 0
  /** Updates and deletes the mix drew that became inserts: no key was present (keys start absent). */
  changesAsInserts = 0

  constructor(
    totalKeys: number,
    private readonly shard: number,
    private readonly shards: number,
    private readonly seed: number,
    mix: Mix,
  ) {
    const local = shard < totalKeys ? Math.ceil((totalKeys - shard) / shards) : 0
    this.keys = new Int32Array(local)
    this.position = new Int32Array(local)
    this.lastSeq = new Float64Array(local)
    this.uncertain = new Uint8Array(local)
    this.insertBelow = mix.insert
    this.updateBelow = mix.insert + mix.update
  }

  /** Number of keys this shard owns. */
  get size(): number {
    return this.keys.length
  }

  /** The kind `next` chose last (kept in a field so the hot path allocates nothing). */
  lastKind: OperationKind = 'insert'

  /** Chooses the kind (then in `lastKind`) and key of operation `seq`, applies it to the expected state, returns the key. */
  next(seq: number): number {
    const size = this.keys.length
    if (size === 0) throw new RangeError('this shard owns no keys: load.keys must be at least workers')
    const roll = uniform(this.seed, seq)
    let kind: OperationKind =
      roll < this.insertBelow ? 'insert' : roll < this.updateBelow ? 'update' : 'delete'
    if (kind === 'insert' && this.presentCount === size) {
      kind = 'update'
      this.insertsAsUpdates++
    } else if (kind !== 'insert' && this.presentCount === 0) {
      kind = 'insert'
      this.changesAsInserts++
    }
    const pick = hash2(this.seed + 1, seq)
    let local: number
    if (kind === 'insert') {
      const deleted = this.touched - this.presentCount
      const choice = pick % (deleted + size - this.touched)
      if (choice < deleted) {
        local = this.keys[this.presentCount + choice]!
      } else {
        local = this.touched++
        this.keys[local] = local
        this.position[local] = local
      }
      this.swap(local, this.presentCount)
      this.presentCount++
    } else {
      local = this.keys[pick % this.presentCount]!
      if (kind === 'delete') {
        this.presentCount--
        this.swap(local, this.presentCount)
      }
    }
    this.lastSeq[local] = seq + 1
    this.counts[kind]++
    this.lastKind = kind
    return local * this.shards + this.shard
  }

  /**
   * Records that a write to `key` failed. A failed write may still have been
   * applied (the commit went through, the acknowledgement did not come back),
   * so the key's final state is unknown from then on and it is not verified.
   */
  markUncertain(key: number): void {
    const local = (key - this.shard) / this.shards
    if (this.uncertain[local] === 1) return
    this.uncertain[local] = 1
    this.uncertainCount++
  }

  /** The expected final state of every key touched (except uncertain ones), or of a deterministic sample of them. */
  *expected(sample = 1): Generator<{ key: number; exists: boolean; seq: number }> {
    for (let local = 0; local < this.touched; local++) {
      if (this.uncertain[local] === 1) continue
      if (sample < 1 && uniform(this.seed + 2, local) >= sample) continue
      yield {
        key: local * this.shards + this.shard,
        exists: this.position[local]! < this.presentCount,
        seq: this.lastSeq[local]! - 1,
      }
    }
  }

  private swap(local: number, toIndex: number): void {
    const from = this.position[local]!
    const other = this.keys[toIndex]!
    this.keys[from] = other
    this.position[other] = from
    this.keys[toIndex] = local
    this.position[local] = toIndex
  }
}
