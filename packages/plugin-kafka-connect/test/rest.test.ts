/**
 * A Connect URL with `user:password@` (a worker behind Connect's basic-auth
 * REST extension): the credentials go in an Authorization header — fetch
 * refuses a URL that carries them — and no message ever prints the password.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { ConnectRest } from '../src/rest.js'

describe('ConnectRest with credentials in the URL', () => {
  it('sends them as basic auth to the worker', async () => {
    let seen: IncomingHttpHeaders = {}
    const server = createServer((request, response) => {
      seen = request.headers
      response.setHeader('content-type', 'application/json')
      response.end('["a"]')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const rest = new ConnectRest(`http://cdcb:s%40cret@127.0.0.1:${port}/`)
      expect(await rest.list()).toEqual(['a'])
      expect(seen.authorization).toBe(`Basic ${Buffer.from('cdcb:s@cret').toString('base64')}`)
      expect(rest.url).toBe(`http://127.0.0.1:${port}`)
    } finally {
      server.close()
    }
  })

  it('names the worker without the password when it does not answer', async () => {
    const rest = new ConnectRest('http://user:hunter2@127.0.0.1:1', 2_000)
    const failure = await rest.list().catch((error: Error) => error)
    expect(String(failure)).toMatch(/Kafka Connect at http:\/\/127\.0\.0\.1:1 does not answer \(/)
    expect(String(failure)).not.toMatch(/hunter2/)
  })
})
