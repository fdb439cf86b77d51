import { describe, expect, it } from 'vitest'
import { describeError, errorKind, redactUrl } from '../src/errors.js'

describe('error descriptions', () => {
  it('keeps the first line of a message, also from plain objects (a sink reporting a corrupt record)', () => {
    expect(describeError(new Error('connect ECONNREFUSED\n    at stack'))).toBe('connect ECONNREFUSED')
    expect(describeError({ name: 'Corrupt', message: 'digest mismatch for seq 7' })).toBe(
      'digest mismatch for seq 7',
    )
    expect(describeError('plain')).toBe('plain')
  })

  it('groups errors by code, then by name', () => {
    expect(errorKind(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED')
    expect(errorKind(new TypeError('x'))).toBe('TypeError')
    expect(errorKind(new Error('x'))).toBe('Error')
  })

  it('never lets a password through', () => {
    expect(redactUrl('cannot connect to postgres://bench:s3cret@db:5432/x')).toBe(
      'cannot connect to postgres://bench:***@db:5432/x',
    )
    expect(redactUrl('no secret in http://host:9092/path')).toBe('no secret in http://host:9092/path')
  })
})
