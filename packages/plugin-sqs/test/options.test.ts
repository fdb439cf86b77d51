/** The `queue`/`queues` options: names derived or listed, keys mapped to queues, bad combinations refused. */
import { describe, expect, it } from 'vitest'
import { optionsSchema, queueIndexOf, queueNames } from '../src/options.js'

function problem(input: unknown): string {
  const parsed = optionsSchema.safeParse(input)
  if (parsed.success) return 'accepted'
  return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
}

describe('queues', () => {
  it('derives N names from queue, keeping .fifo at the end; a list is used as given', () => {
    expect(queueNames(optionsSchema.parse({ queue: 'orders' }))).toEqual(['orders'])
    expect(queueNames(optionsSchema.parse({ queue: 'orders', queues: 3 }))).toEqual([
      'orders-1',
      'orders-2',
      'orders-3',
    ])
    expect(queueNames(optionsSchema.parse({ queue: 'orders.fifo', queues: 2 }))).toEqual([
      'orders-1.fifo',
      'orders-2.fifo',
    ])
    expect(queueNames(optionsSchema.parse({ queues: ['x', 'y'] }))).toEqual(['x', 'y'])
  })

  it('maps key k to queue k mod N, negative keys included', () => {
    expect([0, 1, 2, 3, 4, 5].map((k) => queueIndexOf(k, 4))).toEqual([0, 1, 2, 3, 0, 1])
    expect(queueIndexOf(-1, 4)).toBe(3)
    expect(queueIndexOf(123, 1)).toBe(0)
  })

  it('refuses what cannot be one run over several queues, naming the field', () => {
    expect(problem({})).toBe('queue: expected a queue name (or queues: a list of names)')
    expect(problem({ queues: 4 })).toBe('queue: expected a queue name (or queues: a list of names)')
    expect(problem({ queue: 'a', queues: ['b'] })).toBe(
      'queues: give either queue (with queues: a count) or queues: a list of names, not both',
    )
    expect(problem({ queues: ['a', 'a'] })).toBe(
      'queues: lists a queue twice; each key must map to one queue',
    )
    expect(problem({ queues: ['a', 'b.fifo'] })).toBe(
      'queues: mixes FIFO (.fifo) and standard queues; use one kind per run',
    )
    expect(problem({ queue: 'a', queues: 0 })).toBe('queues: expected a positive whole number')
    expect(problem({ queue: 'a', queues: 65 })).toBe('queues: expected at most 64 queues')
    // SQS names are at most 80 characters: q×75.fifo is, q×75-10.fifo would not be.
    expect(problem({ queue: `${'q'.repeat(75)}.fifo`, queues: 10 })).toMatch(
      /^queues: the queue names derived/,
    )
    expect(problem({ queue: `${'q'.repeat(72)}.fifo`, queues: 10 })).toBe('accepted')
  })
})

describe('contentBasedDeduplication', () => {
  it('is refused on a standard queue, naming the field and the fix; accepted on a FIFO queue', () => {
    expect(problem({ queue: 'orders', contentBasedDeduplication: true })).toBe(
      'contentBasedDeduplication: applies only to FIFO queues (SQS deduplicates nothing on a standard queue); remove it, or use a FIFO queue (a name ending in ".fifo")',
    )
    expect(problem({ queues: ['a', 'b'], contentBasedDeduplication: true })).toMatch(
      /^contentBasedDeduplication: applies only to FIFO queues/,
    )
    expect(problem({ queue: 'orders.fifo', contentBasedDeduplication: true })).toBe('accepted')
    expect(problem({ queue: 'orders', contentBasedDeduplication: false })).toBe('accepted')
  })
})
