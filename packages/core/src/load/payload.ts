import { crc32 } from 'node:zlib'
import { hash2 } from './random.js'

const ALPHABET_CODES = Buffer.from(
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_',
  'latin1',
)

/**
 * The payload of operation `seq`: `size` URL-safe characters derived from
 * `(seed, seq)`. Recomputable anywhere, so the expected final state of a key is
 * never stored, only the seq of its last change (README.md, "What it measures").
 */
export function payloadFor(seed: number, seq: number, size: number): string {
  // Bytes first, one string at the end, and integer arithmetic only: building the
  // string a character at a time dominated a Kafka source's CPU at 1 KB payloads.
  const bytes = Buffer.allocUnsafe(size)
  let state = hash2(seed ^ 0x5bd1e995, seq) | 1
  for (let i = 0; i < size; i += 5) {
    // xorshift32: 32 random bits give five 6-bit characters.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    let word = state >>> 0
    for (let j = i; j < i + 5 && j < size; j++) {
      bytes[j] = ALPHABET_CODES[word & 63]!
      word >>>= 6
    }
  }
  return bytes.toString('latin1')
}

/**
 * Digest of a string, as 8 hex characters: what a marker carries to check a payload end to end (a sink
 * recomputes it over what arrived). It is the CRC-32 (zlib's, native) of the string's UTF-8 bytes: any change
 * of up to 32 consecutive bits is always caught; it is not cryptographic (it catches corruption, not forgery).
 * A fast pipeline's source digests every payload it writes: FNV-1a in JavaScript, one multiply per character,
 * took about a tenth of a Kafka source's CPU at 1 KB payloads (bench/digest.mjs prints this against it).
 */
export function digestOf(text: string): string {
  return crc32(text).toString(16).padStart(8, '0')
}
