/**
 * One bit per seq, growing with the largest seq set: what a plugin may keep per
 * event (docs/architecture.md: a few bits per event, never an object). Single-thread;
 * the runtime's own cross-worker tracker is in tracker.ts.
 */
export class SeqBitset {
  private words = new Uint32Array(1024)

  /** Sets the bit for `seq` and says whether it was set before. */
  testAndSet(seq: number): boolean {
    const word = seq >>> 5
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2))
      grown.set(this.words)
      this.words = grown
    }
    const bit = 1 << (seq & 31)
    const was = (this.words[word]! & bit) !== 0
    this.words[word]! |= bit
    return was
  }
}
