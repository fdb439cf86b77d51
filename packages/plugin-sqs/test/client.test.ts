import { describe, expect, it } from 'vitest'
import { awsErrorKind, ErrorCounts, isRetriable, withRetries } from '../src/client.js'

const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' })
const badRequest = Object.assign(new Error('bad'), {
  name: 'InvalidParameterValue',
  $fault: 'client',
  $metadata: { httpStatusCode: 400 },
})
const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

describe('SQS errors', () => {
  it('are kinded by AWS error code, and retried only when a retry can help', () => {
    expect(awsErrorKind(throttled)).toBe('ThrottlingException')
    expect(awsErrorKind(refused)).toBe('ECONNREFUSED')
    expect(isRetriable(throttled)).toBe(true)
    expect(isRetriable(refused)).toBe(true)
    expect(isRetriable(badRequest)).toBe(false)
  })

  it('are counted by kind on every failed attempt, with throttles and retries apart', async () => {
    const errors = new ErrorCounts()
    let calls = 0
    const value = await withRetries(
      async () => {
        calls++
        if (calls <= 2) throw throttled
        return 'ok'
      },
      5,
      errors,
    )
    expect(value).toBe('ok')
    await expect(withRetries(() => Promise.reject(badRequest), 5, errors)).rejects.toBe(badRequest)
    expect(errors.toStats()).toEqual({
      throttled: 2,
      retries: 2,
      'errors.ThrottlingException': 2,
      'errors.InvalidParameterValue': 1,
    })
  })
})
