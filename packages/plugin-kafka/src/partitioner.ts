/**
 * The partition Kafka's Java producer (and the client's
 * `compatibilityPartitioner`) gives a record key: murmur2 of the key's UTF-8
 * bytes, made positive, modulo the partitions. In 32-bit integer arithmetic:
 * the client's own murmur2 works in BigInt, several times slower per key.
 */

const M = 0x5bd1e995
const SEED = 0x9747b28c

/** Kafka's murmur2 of `bytes` (signed 32-bit, as Java's `Utils.murmur2`). */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 mixes the tail bytes in from the last down
    case 3:
      h ^= bytes[whole + 2]! << 16
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2:
      h ^= bytes[whole + 1]! << 8
    case 1:
      h ^= bytes[whole]!
      h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Reused for ASCII keys (cdcb's own keys are decimal numbers), so a key costs no allocation. */
const scratch = new Uint8Array(256)

/** The partition of `key` among `partitions`, as the Java producer picks it. */
export function partitionOf(key: string, partitions: number): number {
  if (partitions <= 1) return 0
  let bytes: Uint8Array | undefined
  if (key.length <= scratch.length) {
    let i = 0
    for (; i < key.length; i++) {
      const code = key.charCodeAt(i)
      if (code > 0x7f) break
      scratch[i] = code
    }
    if (i === key.length) bytes = scratch.subarray(0, i)
  }
  bytes ??= Buffer.from(key, 'utf8')
  return (murmur2(bytes) & 0x7fffffff) % partitions
}
