/**
 * `cdcb clean` against an SQS endpoint that refuses or never answers: one
 * line naming the endpoint, exit 3, within connectTimeout — it printed an
 * internal error with a stack, and hung on a frozen ElasticMQ (trialB).
 */

import type { AddressInfo } from 'node:net'
import { createServer, type Socket } from 'node:net'
import { CdcbError } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { optionsSchema } from '../src/options.js'
import { cleanSqs } from '../src/queues.js'

const context = { dryRun: true, log: () => {} }

describe('cdcb clean on SQS that cannot be reached', () => {
  it('a refused endpoint is one line, exit 3', async () => {
    const options = optionsSchema.parse({ endpoint: 'http://127.0.0.1:1', queue: 'q1', connectTimeout: '2s' })
    const failure = await cleanSqs('source', options, context).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CdcbError)
    expect((failure as CdcbError).exitCode).toBe(3)
    expect((failure as Error).message).toMatch(
      /^sqs clean: cannot reach http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    )
  })

  it('an endpoint that accepts and never answers (a frozen server) is said within connectTimeout', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as AddressInfo
      const options = optionsSchema.parse({
        endpoint: `http://127.0.0.1:${port}`,
        queue: 'q1',
        connectTimeout: '1s',
      })
      const began = Date.now()
      const failure = await cleanSqs('source', options, context).catch((error: unknown) => error)
      expect(Date.now() - began).toBeLessThan(10_000)
      expect((failure as Error).message).toMatch(
        /^sqs clean: cannot reach .*: no answer within 1s \(connectTimeout\)/,
      )
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })
})
