/**
 * The marker contract: the Debezium format reads, by default, the columns
 * core's MARKER_COLUMNS names, which are the ones @cdcb/plugin-postgres's
 * source creates and writes.
 */
import { MARKER_COLUMNS } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { debeziumColumns, optionsSchema, type ResolvedKafkaOptions } from '../src/options.js'

describe('marker contract', () => {
  it("the Debezium format's default columns are core's MARKER_COLUMNS", () => {
    const options = optionsSchema.parse({ brokers: '127.0.0.1:9092', topic: 't', format: 'debezium' })
    const { op: _op, ...read } = MARKER_COLUMNS
    expect(debeziumColumns(options as ResolvedKafkaOptions)).toEqual(read)
  })
})
