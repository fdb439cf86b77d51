/**
 * Loss, duplicate and ordering tracking shared by all workers.
 *
 * A sink in any worker may see any event (a Kafka consumer gets whole
 * partitions, not one shard's seqs), so the state lives in SharedArrayBuffers
 * updated with Atomics: two bits per event (acknowledged, seen) and the last
 * seen seq per key. Memory grows with the run by two bits per event and with
 * the key space, never by an object per event (docs/architecture.md, "Data flow and threads").
 */

/** The buffers behind a tracker; sent to every worker at start. */
export interface TrackerBuffers {
  /** Seqs below this are the run's; an observation of any other is foreign. */
  readonly seqLimit: number
  readonly acked: SharedArrayBuffer
  readonly seen: SharedArrayBuffer
  readonly lastSeqByKey: SharedArrayBuffer
}

/** Largest seq a run can use: per-key state stores seq + 1 in an Int32. */
export const MAX_SEQ = 0x7ffffffe

const MAX_BITSET_BYTES = Math.ceil((MAX_SEQ + 1) / 32) * 4

/**
 * Fixed-size buffers: V8 optimises typed arrays on growable SharedArrayBuffers
 * poorly (markSeen was several times slower on one). An open-model run knows
 * how many events it plans; an open-ended (closed-model) run reserves the most
 * a run can track, which costs address space only: pages are committed when
 * first written, so resident memory still grows with the events actually sent.
 */
export function createTrackerBuffers(plannedEvents: number | undefined, keys: number): TrackerBuffers {
  const bytes =
    plannedEvents === undefined ? MAX_BITSET_BYTES : Math.ceil(Math.max(plannedEvents, 32) / 32) * 4
  return {
    seqLimit: plannedEvents ?? MAX_SEQ + 1,
    acked: new SharedArrayBuffer(bytes),
    seen: new SharedArrayBuffer(bytes),
    lastSeqByKey: new SharedArrayBuffer(keys * 4),
  }
}

/** What observing one event found. */
export enum Seen {
  First = 0,
  Duplicate = 1,
  OutOfOrder = 2,
  /** A seq this run never planned: not the run's event (another run's, or a sink's bug). */
  Foreign = 3,
}

export class Tracker {
  private readonly acked: Int32Array
  private readonly seen: Int32Array
  private readonly lastSeqByKey: Int32Array
  private readonly seqLimit: number

  constructor(buffers: TrackerBuffers) {
    this.seqLimit = buffers.seqLimit
    this.acked = new Int32Array(buffers.acked)
    this.seen = new Int32Array(buffers.seen)
    this.lastSeqByKey = new Int32Array(buffers.lastSeqByKey)
  }

  /** Seqs this tracker can hold: every seq must be below it. */
  get capacity(): number {
    return this.seen.length * 32
  }

  markAcked(seq: number): void {
    Atomics.or(this.acked, seq >>> 5, 1 << (seq & 31))
  }

  /** Records an observation of `seq` on `key`; says whether it was new, a duplicate, or behind a later seq of its key. */
  markSeen(seq: number, key: number): Seen {
    if (!(seq >= 0 && seq < this.seqLimit) || !Number.isInteger(seq)) return Seen.Foreign
    const word = seq >>> 5
    const bit = 1 << (seq & 31)
    if ((Atomics.or(this.seen, word, bit) & bit) !== 0) return Seen.Duplicate
    if (key < 0 || key >= this.lastSeqByKey.length) return Seen.First
    const stored = seq + 1
    let previous = Atomics.load(this.lastSeqByKey, key)
    while (stored > previous) {
      const swapped = Atomics.compareExchange(this.lastSeqByKey, key, previous, stored)
      if (swapped === previous) return Seen.First
      previous = swapped
    }
    return Seen.OutOfOrder
  }

  /** Was `seq` seen? */
  wasSeen(seq: number): boolean {
    const word = seq >>> 5
    return word < this.seen.length && (Atomics.load(this.seen, word) & (1 << (seq & 31))) !== 0
  }

  /** Counts acknowledged events below `seqLimit` that were never seen: the loss, once the drain is over. */
  countUnseenAcked(seqLimit: number): number {
    return this.scanUnseenAcked(seqLimit).unseen
  }

  /**
   * Counts acknowledged-but-unseen events from word `fromWord` on, and returns the
   * first word that still has one, so a drain can poll from there instead of from 0.
   */
  scanUnseenAcked(seqLimit: number, fromWord = 0): { unseen: number; firstWord: number } {
    let unseen = 0
    let firstWord = -1
    const words = Math.min(this.acked.length, Math.ceil(seqLimit / 32))
    for (let i = fromWord; i < words; i++) {
      const missing = Atomics.load(this.acked, i) & ~Atomics.load(this.seen, i)
      if (missing !== 0) {
        unseen += popcount(missing)
        if (firstWord < 0) firstWord = i
      }
    }
    return { unseen, firstWord: firstWord < 0 ? words : firstWord }
  }

  /**
   * One pass over the bitsets below `seqLimit`: events acknowledged, events seen, and events acknowledged but
   * never seen, all as of the same moment — the final counters are reconciled with these (`settleCounters`).
   */
  tally(seqLimit: number): { acked: number; seen: number; unseenAcked: number } {
    let acked = 0
    let seen = 0
    let unseenAcked = 0
    const words = Math.min(this.acked.length, Math.ceil(seqLimit / 32))
    for (let i = 0; i < words; i++) {
      const a = Atomics.load(this.acked, i)
      const s = Atomics.load(this.seen, i)
      if (a !== 0) acked += popcount(a)
      if (s !== 0) seen += popcount(s)
      if ((a & ~s) !== 0) unseenAcked += popcount(a & ~s)
    }
    return { acked, seen, unseenAcked }
  }

  /** The first `max` acknowledged seqs below `seqLimit` that were never seen, for the report. */
  unseenAcked(seqLimit: number, max: number): number[] {
    const found: number[] = []
    const words = Math.min(this.acked.length, Math.ceil(seqLimit / 32))
    for (let i = 0; i < words && found.length < max; i++) {
      let missing = Atomics.load(this.acked, i) & ~Atomics.load(this.seen, i)
      while (missing !== 0 && found.length < max) {
        const bit = 31 - Math.clz32(missing & -missing)
        found.push(i * 32 + bit)
        missing &= missing - 1
      }
    }
    return found
  }
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}
