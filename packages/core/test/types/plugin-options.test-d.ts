// Checked with exactOptionalPropertyTypes: true (this folder's tsconfig), the strict setting
// under which core's old hand-written Standard Schema type rejected a zod 4 schema.
import { definePlugin, type StandardSchema } from '@cdcb/core'
import { toStandardJsonSchema } from '@valibot/to-json-schema'
import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'

const noParts = { name: 'x', core: '*' } as const

describe('plugin options schemas under exactOptionalPropertyTypes', () => {
  it('accepts zod, valibot and ArkType schemas and types the factories’ options from them', () => {
    definePlugin({
      ...noParts,
      options: z.strictObject({ url: z.string(), batchSize: z.number().optional() }),
      createSource(options) {
        expectTypeOf(options.url).toEqualTypeOf<string>()
        expectTypeOf(options.batchSize).toEqualTypeOf<number | undefined>()
        return { write: async () => {} }
      },
    })
    definePlugin({
      ...noParts,
      options: toStandardJsonSchema(v.strictObject({ url: v.string(), batchSize: v.optional(v.number()) })),
      createSink(options) {
        expectTypeOf(options.url).toEqualTypeOf<string>()
        return { start: async () => {} }
      },
    })
    definePlugin({
      ...noParts,
      options: v.object({ url: v.string() }),
      createSink(options) {
        expectTypeOf(options.url).toEqualTypeOf<string>()
        return { start: async () => {} }
      },
    })
    definePlugin({
      ...noParts,
      options: type({ url: 'string', 'batchSize?': 'number' }),
      createVerifier(options) {
        expectTypeOf(options.url).toEqualTypeOf<string>()
        return { verify: async (expected) => ({ checked: expected.length, mismatched: 0, mismatches: [] }) }
      },
    })
  })

  it('is the official Standard Schema type: issue paths may be undefined', () => {
    type Validate = StandardSchema['~standard']['validate']
    type Failure = Extract<Awaited<ReturnType<Validate>>, { issues: ReadonlyArray<unknown> }>
    expectTypeOf<undefined>().toExtend<Failure['issues'][number]['path']>()
  })

  it('rejects factories that expect other options than the schema gives', () => {
    definePlugin<{ url: string }>({
      ...noParts,
      // @ts-expect-error a number is not the string the factories were promised
      options: z.strictObject({ url: z.number() }),
    })
  })
})
