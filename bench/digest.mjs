// The payload digest (core's digestOf: zlib's native CRC-32) against FNV-1a over
// each character in JavaScript, the digest cdcb used before, on the payloads a run writes (1 KB by default).
// Rounds alternate the two so drift in the machine's load hits both alike.
// Usage: node bench/digest.mjs [payload bytes, default 1000] [rounds, default 5]
import './node24.mjs'
import { digestOf, payloadFor } from '@cdcb/core'

const size = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 5)

/** The baseline: FNV-1a, one multiply per character. */
function fnv1a(text) {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

const payloads = Array.from({ length: 2000 }, (_, seq) => payloadFor(1, seq, size))
/** ns per digest over all payloads, repeated to take ~0.3 s. */
function time(digest) {
  let sink = 0
  const repeats = 150
  const start = process.hrtime.bigint()
  for (let r = 0; r < repeats; r++) for (const payload of payloads) sink ^= digest(payload).charCodeAt(0)
  if (sink === -1) console.log(sink)
  return Number(process.hrtime.bigint() - start) / (repeats * payloads.length)
}

time(digestOf) // warm both up before measuring
time(fnv1a)
const ratios = []
for (let round = 0; round < rounds; round++) {
  // Alternate which runs first.
  let cdcb
  let baseline
  if (round % 2 === 0) {
    cdcb = time(digestOf)
    baseline = time(fnv1a)
  } else {
    baseline = time(fnv1a)
    cdcb = time(digestOf)
  }
  ratios.push(baseline / cdcb)
  console.log(
    `round ${round + 1}: digestOf ${cdcb.toFixed(0)} ns, FNV-1a ${baseline.toFixed(0)} ns per ${size} B payload`,
  )
}
ratios.sort((a, b) => a - b)
console.log(
  `digestOf (CRC-32, zlib) is ${ratios[Math.floor(rounds / 2)].toFixed(2)}x as fast as FNV-1a per character (median of ${rounds} rounds)`,
)
