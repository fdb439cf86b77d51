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

  it('hides secret query parameters too, by name and case-insensitively, keeping the others', () => {
    expect(redactUrl('postgres://alice:s3cretPW@127.0.0.1:31499/db?password=s3cretPW2')).toBe(
      'postgres://alice:***@127.0.0.1:31499/db?password=***',
    )
    expect(
      redactUrl(
        'postgres://h/db?sslmode=require&SSLPASSWORD=a1&PWD=a2&passwd=a3&Secret=a4&token=a5&access_key=a6&api_key=a7&apiKey=a8&connect_timeout=5',
      ),
    ).toBe(
      'postgres://h/db?sslmode=require&SSLPASSWORD=***&PWD=***&passwd=***&Secret=***&token=***&access_key=***&api_key=***&apiKey=***&connect_timeout=5',
    )
    expect(redactUrl('jdbc:sqlserver://h:1433;user=sa;password=a9;encrypt=true')).toBe(
      'jdbc:sqlserver://h:1433;user=sa;password=***;encrypt=true',
    )
    expect(redactUrl('http://h/p?keys=100&batchSize=50#tokenize')).toBe(
      'http://h/p?keys=100&batchSize=50#tokenize',
    )
  })
})
