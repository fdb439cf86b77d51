import { hash2 } from './random.js'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/**
 * The payload of operation `seq`: `size` printable characters derived from
 * `(seed, seq)`. Recomputable anywhere, so the expected final state of a key is
 * never stored, only the seq of its last change (DESIGN.md, Correctness).
 */
export function payloadFor(seed: number, seq: number, size: number): string {
  let out = ''
  let word = 0
  for (let i = 0; i < size; i++) {
    if (i % 5 === 0) word = hash2(seed ^ 0x5bd1e995, seq * 4096 + i)
    out += ALPHABET[word % 62]
    word = Math.floor(word / 62)
  }
  return out
}

/** FNV-1a digest of a string, as 8 hex characters; what a marker carries to check content end to end. */
export function digestOf(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}
