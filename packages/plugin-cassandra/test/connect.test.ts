import cassandra from 'cassandra-driver'
import { describe, expect, it } from 'vitest'
import { explainConnectError } from '../src/connect.js'
import { optionsSchema } from '../src/options.js'

describe('explainConnectError', () => {
  const options = { contactPoints: ['db1:9042'], username: 'app', password: 'hunter2-secret' }

  // A node with PasswordAuthenticator answers a bad login so; the driver wraps it per host.
  it('refused credentials: names the login, not the password', () => {
    const auth = new cassandra.errors.AuthenticationError(
      'Provided username app and/or password are incorrect',
    )
    const error = new cassandra.errors.NoHostAvailableError({ '10.0.0.1:9042': auth })
    const line = explainConnectError(error, options, 10_000)
    expect(line).toBe(
      'Cassandra at db1:9042 (dc datacenter1) refused the login: Provided username app and/or password are incorrect — check the username and password',
    )
    expect(line).not.toContain('hunter2')
  })
})

describe('options', () => {
  it('accepts a full config and rejects a misspelt consistency', () => {
    expect(
      optionsSchema.safeParse({ contactPoints: ['127.0.0.1:9042'], consistency: 'LOCAL_ONE', batchSize: 10 })
        .success,
    ).toBe(true)
    const bad = optionsSchema.safeParse({ consistency: 'local_one' })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.message).toMatch(/^expected one of ANY, ONE/)
  })
})
