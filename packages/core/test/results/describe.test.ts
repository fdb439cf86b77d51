import { describe, expect, it } from 'vitest'
import { redactSecrets } from '../../src/results/describe.js'

describe('redactSecrets', () => {
  it('hides passwords, tokens and URL credentials, and keeps figures such as keys and batchSize', () => {
    const redacted = redactSecrets({
      url: 'postgres://bench:hunter2@127.0.0.1:5432/db',
      dsn: 'postgres://bench@127.0.0.1:5432/db?sslmode=require&password=hunter3',
      password: 'hunter2',
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      apiKey: 'AKIA123',
      accessKeyId: 'AKIA456',
      keys: 100_000,
      batchSize: 50,
      brokers: ['127.0.0.1:9092'],
    })
    const text = JSON.stringify(redacted)
    for (const secret of ['hunter2', 'hunter3', 'AKIA123', 'AKIA456', '"p"'])
      expect(text).not.toContain(secret)
    expect(redacted).toMatchObject({
      url: 'postgres://bench:***@127.0.0.1:5432/db',
      dsn: 'postgres://bench@127.0.0.1:5432/db?sslmode=require&password=***',
      keys: 100_000,
      batchSize: 50,
      brokers: ['127.0.0.1:9092'],
    })
  })
})
