import { toStandardJsonSchema } from '@valibot/to-json-schema'
import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { validatePluginOptions } from '../../src/config/plugin-options.js'
import { ConfigError } from '../../src/errors.js'

// The same options in three validators: core must treat them alike through Standard Schema alone.
const schemas = {
  zod: z.strictObject({
    url: z.string(),
    batchSize: z.number().int().optional(),
    retry: z.strictObject({ attempts: z.number() }).optional(),
  }),
  valibot: toStandardJsonSchema(
    v.strictObject({
      url: v.string(),
      batchSize: v.optional(v.pipe(v.number(), v.integer())),
      retry: v.optional(v.strictObject({ attempts: v.number() })),
    }),
  ),
  arktype: type({
    '+': 'reject',
    url: 'string',
    'batchSize?': 'number.integer',
    'retry?': { '+': 'reject', attempts: 'number' },
  }),
}

async function problem(schema: Parameters<typeof validatePluginOptions>[0], options: unknown) {
  const error = await validatePluginOptions(schema, options, 'source').catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as Error).message
}

describe.each(Object.entries(schemas))('plugin options validated with %s', (_vendor, schema) => {
  it('returns the validated options', async () => {
    expect(await validatePluginOptions(schema, { url: 'x', batchSize: 5 }, 'source')).toEqual({
      url: 'x',
      batchSize: 5,
    })
  })

  it('suggests the key a misspelt option meant, at any depth', async () => {
    expect(await problem(schema, { url: 'x', batchsize: 5 })).toBe(
      'source.options.batchsize: unknown key — did you mean "batchSize"?',
    )
    expect(await problem(schema, { url: 'x', retry: { atempts: 3 } })).toBe(
      'source.options.retry.atempts: unknown key — did you mean "attempts"?',
    )
    expect(await problem(schema, { url: 'x', colour: 'red' })).toBe(
      'source.options.colour: unknown key — known keys: url, batchSize, retry',
    )
  })

  it('names the path of a bad value in one line', async () => {
    const message = await problem(schema, { url: 'x', batchSize: 2.5 })
    expect(message).toMatch(/^source\.options\.batchSize: \S/)
    expect(message).not.toContain('\n')
    expect(await problem(schema, { batchSize: 1 })).toMatch(/^source\.options\.url: \S/)
  })
})

describe('plugin options without Standard JSON Schema', () => {
  it('still names the path and the validator’s message (no key list to suggest from)', async () => {
    const plain = v.strictObject({ url: v.string() })
    expect(await problem(plain, { url: 5 })).toMatch(/^source\.options\.url: .*string/)
    expect(await problem(plain, { url: 'x', urll: 1 })).toMatch(/^source\.options\.urll: /)
  })

  it('a schema that cannot be expressed as JSON Schema falls back the same way', async () => {
    const withFunction = z.strictObject({ url: z.string(), onEvent: z.function().optional() })
    expect(await problem(withFunction, { url: 5 })).toMatch(/^source\.options\.url: /)
  })
})
