import { describe, expect, it } from 'vitest'
import { decodeFrame, decodeLogical, formatLsn, PG_EPOCH_MICROS, statusUpdate } from '../src/pgoutput.js'

function tuple(values: (string | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, values.length])]
  for (const v of values) {
    if (v === null) parts.push(Buffer.from('n'))
    else {
      const bytes = Buffer.from(v)
      const head = Buffer.alloc(5)
      head.write('t')
      head.writeInt32BE(bytes.length, 1)
      parts.push(head, bytes)
    }
  }
  return Buffer.concat(parts)
}

describe('pgoutput decoding', () => {
  it('reads a relation and the rows of inserts, updates and deletes', () => {
    const rel = Buffer.concat([
      Buffer.from('R'),
      Buffer.from([0, 0, 0, 42]),
      Buffer.from('public\0cdcb_events\0'),
      Buffer.from([102, 0, 2]),
      Buffer.from([1]),
      Buffer.from('run_id\0'),
      Buffer.alloc(8),
      Buffer.from([0]),
      Buffer.from('seq\0'),
      Buffer.alloc(8),
    ])
    expect(decodeLogical(rel)).toEqual({
      type: 'relation',
      relation: { id: 42, schema: 'public', table: 'cdcb_events', columns: ['run_id', 'seq'] },
    })
    const insert = Buffer.concat([
      Buffer.from('I'),
      Buffer.from([0, 0, 0, 42]),
      Buffer.from('N'),
      tuple(['r1', '7']),
    ])
    expect(decodeLogical(insert)).toEqual({
      type: 'change',
      kind: 'insert',
      relation: 42,
      values: ['r1', '7'],
    })
    const update = Buffer.concat([
      Buffer.from('U'),
      Buffer.from([0, 0, 0, 42]),
      Buffer.from('O'),
      tuple(['r1', '7']),
      Buffer.from('N'),
      tuple(['r1', '9']),
    ])
    expect(decodeLogical(update)).toMatchObject({ kind: 'update', values: ['r1', '9'] })
    const del = Buffer.concat([
      Buffer.from('D'),
      Buffer.from([0, 0, 0, 42]),
      Buffer.from('O'),
      tuple(['r1', null]),
    ])
    expect(decodeLogical(del)).toMatchObject({ kind: 'delete', values: ['r1', null] })
  })

  it('reads begin with the commit time in epoch microseconds', () => {
    const begin = Buffer.alloc(21)
    begin.write('B')
    begin.writeBigInt64BE(0x16b3748n, 1)
    begin.writeBigInt64BE(1_000_000n, 9)
    expect(decodeLogical(begin)).toEqual({
      type: 'begin',
      finalLsn: 0x16b3748n,
      commitTime: PG_EPOCH_MICROS + 1_000_000n,
    })
  })

  it('frames keepalives and status updates', () => {
    const keepalive = Buffer.alloc(18)
    keepalive.write('k')
    keepalive.writeBigUInt64BE(99n, 1)
    keepalive[17] = 1
    expect(decodeFrame(keepalive)).toEqual({ type: 'keepalive', walEnd: 99n, replyRequested: true })
    const status = statusUpdate(0x100000010n, Number(PG_EPOCH_MICROS) + 5)
    expect(status[0]).toBe(0x72)
    expect(status.readBigUInt64BE(1)).toBe(0x100000010n)
    expect(status.readBigInt64BE(25)).toBe(5n)
    expect(status[33]).toBe(0)
    expect(statusUpdate(0x100000010n, Number(PG_EPOCH_MICROS) + 5, true)[33]).toBe(1)
    expect(formatLsn(0x100000010n)).toBe('1/10')
  })
})
