import { ConfigError } from '@cdcb/core'
import { resolveConfig } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { postgres } from '../src/index.js'
import { clientConfig, describeTarget } from '../src/options.js'

const url = 'postgres://cdcb:s3cret@db.example:5433/app'

async function problem(source: Record<string, unknown>): Promise<string> {
  const error = await resolveConfig(
    { source: postgres(source as never), sink: { plugin: 'memory' }, workers: 1 },
    { origin: 'test' },
  ).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as Error).message
}

describe('postgres options', () => {
  it('names the file, the field and what it got in one line', async () => {
    expect(await problem({ url, pool: 0 })).toBe(
      'test: source.options.pool: expected a positive whole number, got 0',
    )
    expect(await problem({ url, batchSize: 2.5 })).toBe(
      'test: source.options.batchSize: expected a positive whole number, got 2.5',
    )
    expect(await problem({ url, mode: 'push' })).toBe(
      'test: source.options.mode: expected "logical" or "poll", got "push"',
    )
    expect(await problem({ url, pollInterval: 'often' })).toMatch(
      /^test: source\.options\.pollInterval: expected a duration/,
    )
    expect(await problem({ url: 'mysql://x' })).toMatch(
      /^test: source\.options\.url: expected a connection URL/,
    )
    // A host-less URL would reach PGHOST/the socket/localhost; an unparsable one failed deep in the driver.
    expect(await problem({ url: 'postgres:///src' })).toMatch(
      /^test: source\.options\.url: names no host — write it, as in postgres:\/\/user@host:5432\/db; cdcb does not fall back/,
    )
    expect(await problem({ url, replicateFrom: 'postgresql:///src' })).toMatch(
      /^test: source\.options\.replicateFrom: names no host/,
    )
    expect(await problem({ url: 'postgres://@:21332/src' })).toMatch(
      /^test: source\.options\.url: expected a connection URL such as postgres:\/\/user@host:5432\/db, got /,
    )
    // The refused value is shown without its password.
    expect(await problem({ url: 'postgres://u:s3cret@/src' })).toBe(
      'test: source.options.url: expected a connection URL such as postgres://user@host:5432/db, got "postgres://u:***@/src"',
    )
    expect(await problem({ url, table: 'x; drop table y' })).toMatch(
      /^test: source\.options\.table: expected a plain SQL name/,
    )
    expect(await problem({ url, tabel: 'x' })).toBe(
      'test: source.options.tabel: unknown key — did you mean "table"?',
    )
  })

  // The README's config with SOURCE_URL unset: the driver would have fallen back to PGHOST/localhost.
  it('refuses a url read from an unset environment variable, and options naming no server', async () => {
    expect(await problem({ url: undefined, table: 'cdcb_events' })).toMatch(
      /^test: source\.options\.url: is undefined — is it read from an environment variable that is not set\?/,
    )
    expect(await problem({ table: 'cdcb_events' })).toMatch(
      /^test: source\.options: expected url \(or host\) naming the server — cdcb does not fall back to PGHOST/,
    )
  })

  it('accepts a config built with the helper, short name resolving to this package', async () => {
    const config = await resolveConfig(
      {
        source: postgres({ url, pool: 32, batchSize: 100 }),
        sink: postgres({ url, mode: 'poll' }),
        workers: 1,
      },
      { origin: 'test' },
    )
    expect(config.source.moduleUrl).toMatch(/plugin-postgres\/dist\/index\.js$/)
    expect(config.source.options).toMatchObject({ pool: 32, batchSize: 100 })
  })

  it('describes a connection without its password', () => {
    expect(describeTarget({ url })).toBe('db.example:5433/app')
    expect(describeTarget({ host: 'h', port: 1, database: 'd', password: 'pw' })).toBe('h:1/d')
    expect(clientConfig({ url, connectTimeout: '3s' }).connectionTimeoutMillis).toBe(3000)
  })
})
