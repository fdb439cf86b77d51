import { describe, expect, it } from 'vitest'
import { renderRoute, settingsOf } from '../sqs-bridge/service.mjs'

const ctx = (env = {}) => ({ env, host: '127.0.0.1', port: 9324 })

describe('the SQS → Kafka bridge route', () => {
  it('extends the visibility of messages Camel still works on, so a slow Kafka ack is no redelivery', () => {
    const route = renderRoute(ctx(), settingsOf(ctx()))
    // Both routes (standard and FIFO) receive with 120 s and keep extending it while the exchange runs.
    expect(route.match(/^ {8}visibilityTimeout: 120$/gm)).toHaveLength(2)
    expect(route.match(/^ {8}extendMessageVisibility: true$/gm)).toHaveLength(2)
    // A Kafka request retried after a timeout must not write a second record.
    expect(route.match(/^ {14}enableIdempotence: true$/gm)).toHaveLength(2)
    const env = { SQS_BRIDGE_VISIBILITY_TIMEOUT: '5' }
    expect(renderRoute(ctx(env), settingsOf(ctx(env)))).toMatch(/^ {8}visibilityTimeout: 5$/m)
  })

  it('refuses a visibility timeout SQS would not take, naming the variable', () => {
    for (const value of ['0', '1', '1.5', 'x', '43201'])
      expect(() => settingsOf(ctx({ SQS_BRIDGE_VISIBILITY_TIMEOUT: value }))).toThrow(
        /^SQS_BRIDGE_VISIBILITY_TIMEOUT=.* is not a whole number of seconds from 2 to 43200/,
      )
  })
})
