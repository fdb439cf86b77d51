/**
 * What the conformance kit's probe learns in the worker threads, in shared
 * memory so every worker writes to it and the main thread reads it after the
 * run: which seqs were written (with their key and intended time), acknowledged
 * and observed, and the first example of each kind of bad observation.
 */

/** Kinds of observation the kit rejects; each gets one sentence in the report. */
export const ANOMALIES = [
  'neverWritten',
  'wrongKey',
  'wrongIntendedAt',
  'notFinite',
  'committedUnit',
  'committedOffset',
  'negativeE2e',
  'committedAfterSeen',
  'observedUnit',
  'observedOffset',
] as const

export type Anomaly = (typeof ANOMALIES)[number]

/** The first example of an anomaly: the seq and the two numbers that disagree. */
export interface AnomalyExample {
  readonly seq: number
  readonly value: number
  readonly reference: number
}

const EXAMPLE_FIELDS = 3

/** Tamper counters, by index. */
export const TAMPER = { tried: 0, detected: 1, noHook: 2, key: 3 } as const

/** The shared buffers; plain data, so they cross into the workers inside the probe's options. */
export interface ProbeBuffers {
  readonly planned: number
  readonly written: SharedArrayBuffer
  readonly acked: SharedArrayBuffer
  readonly observed: SharedArrayBuffer
  readonly keyOf: SharedArrayBuffer
  readonly intendedOf: SharedArrayBuffer
  readonly anomalies: SharedArrayBuffer
  readonly examples: SharedArrayBuffer
  readonly tamper: SharedArrayBuffer
}

export function createProbeBuffers(planned: number): ProbeBuffers {
  const words = Math.ceil(planned / 32) + 1
  return {
    planned,
    written: new SharedArrayBuffer(words * 4),
    acked: new SharedArrayBuffer(words * 4),
    observed: new SharedArrayBuffer(words * 4),
    keyOf: new SharedArrayBuffer(planned * 4),
    intendedOf: new SharedArrayBuffer(planned * 8),
    anomalies: new SharedArrayBuffer(ANOMALIES.length * 4),
    examples: new SharedArrayBuffer(ANOMALIES.length * EXAMPLE_FIELDS * 8),
    tamper: new SharedArrayBuffer(4 * 4),
  }
}

/** Typed views over the buffers, made once per thread. */
export class ProbeRecord {
  readonly planned: number
  private readonly written: Int32Array
  private readonly acked: Int32Array
  private readonly observed: Int32Array
  private readonly keyOf: Int32Array
  private readonly intendedOf: Float64Array
  private readonly anomalies: Int32Array
  private readonly examples: Float64Array
  readonly tamper: Int32Array

  constructor(buffers: ProbeBuffers) {
    this.planned = buffers.planned
    this.written = new Int32Array(buffers.written)
    this.acked = new Int32Array(buffers.acked)
    this.observed = new Int32Array(buffers.observed)
    this.keyOf = new Int32Array(buffers.keyOf)
    this.intendedOf = new Float64Array(buffers.intendedOf)
    this.anomalies = new Int32Array(buffers.anomalies)
    this.examples = new Float64Array(buffers.examples)
    this.tamper = new Int32Array(buffers.tamper)
  }

  /** Called before the source is asked to write `seq`, so any sink that sees it finds it recorded. */
  noteWritten(seq: number, key: number, intendedAt: number): void {
    if (seq >= this.planned) return
    Atomics.store(this.keyOf, seq, key)
    this.intendedOf[seq] = intendedAt
    setBit(this.written, seq)
  }

  noteAcked(seq: number): void {
    if (seq < this.planned) setBit(this.acked, seq)
  }

  noteObserved(seq: number): void {
    setBit(this.observed, seq)
  }

  wasWritten(seq: number): boolean {
    return Number.isInteger(seq) && seq >= 0 && seq < this.planned && hasBit(this.written, seq)
  }

  wasAcked(seq: number): boolean {
    return hasBit(this.acked, seq)
  }

  wasObserved(seq: number): boolean {
    return hasBit(this.observed, seq)
  }

  keyWritten(seq: number): number {
    return Atomics.load(this.keyOf, seq)
  }

  intendedWritten(seq: number): number {
    return this.intendedOf[seq]!
  }

  /** Counts an anomaly; the first one of its kind keeps its numbers as the example. */
  note(anomaly: Anomaly, seq: number, value: number, reference: number): void {
    const index = ANOMALIES.indexOf(anomaly)
    if (Atomics.add(this.anomalies, index, 1) !== 0) return
    const at = index * EXAMPLE_FIELDS
    this.examples[at] = seq
    this.examples[at + 1] = value
    this.examples[at + 2] = reference
  }

  count(anomaly: Anomaly): number {
    return Atomics.load(this.anomalies, ANOMALIES.indexOf(anomaly))
  }

  example(anomaly: Anomaly): AnomalyExample {
    const at = ANOMALIES.indexOf(anomaly) * EXAMPLE_FIELDS
    return { seq: this.examples[at]!, value: this.examples[at + 1]!, reference: this.examples[at + 2]! }
  }
}

function setBit(bits: Int32Array, n: number): void {
  Atomics.or(bits, n >>> 5, 1 << (n & 31))
}

function hasBit(bits: Int32Array, n: number): boolean {
  return (Atomics.load(bits, n >>> 5) & (1 << (n & 31))) !== 0
}
