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
  const bytes = Buffer.allocUnsafe(size)
  writePayload(seed, seq, bytes, 0, size)
  return bytes.toString('latin1')
}

/**
 * Writes the payload of operation `seq` (`payloadFor`'s characters, one byte each) into `target` at
 * `offset`: for a source that sends bytes, with no string of `size` characters per operation.
 * Throws a RangeError when `target` is shorter than `offset + size`.
 */
export function writePayload(
  seed: number,
  seq: number,
  target: Uint8Array,
  offset: number,
  size: number,
): void {
  if (offset + size > target.length)
    throw new RangeError(`payload of ${size} bytes does not fit at ${offset}`)
  // Integer arithmetic only: building the string a character at a time dominated a Kafka source's
  // CPU at 1 KB payloads.
  let state = hash2(seed ^ 0x5bd1e995, seq) | 1
  const end = offset + size
  const codes = ALPHABET_CODES
  let i = offset
  for (; i < end; i += 5) {
    // xorshift32: 32 random bits give five 6-bit characters.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const word = state >>> 0
    if (i + 5 > end) {
      for (let j = i, w = word; j < end; j++, w >>>= 6) target[j] = codes[w & 63]!
      break
    }
    target[i] = codes[word & 63]!
    target[i + 1] = codes[(word >>> 6) & 63]!
    target[i + 2] = codes[(word >>> 12) & 63]!
    target[i + 3] = codes[(word >>> 18) & 63]!
    target[i + 4] = codes[(word >>> 24) & 63]!
  }
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

/** `digestOf` of text given as its UTF-8 bytes: `digestOfBytes(Buffer.from(s)) === digestOf(s)`. */
export function digestOfBytes(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, '0')
}
