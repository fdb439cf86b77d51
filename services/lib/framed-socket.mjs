import net from 'node:net'

/**
 * One request at a time over TCP to a server that frames its replies: enough
 * for a probe (is it this server, does it answer) without a client library.
 * `protocol` describes the wire format:
 *   - `name`: for messages ('Kafka', 'CQL');
 *   - `split(buffer)`: undefined while more bytes are needed, else `{ frame,
 *     rest }`; throws on bytes that are no frame of this protocol;
 *   - `idOf(frame)`: the request id the reply answers;
 *   - `encode(id, request)`: the bytes of a request.
 * Resolves once connected with `{ request(request) → Promise<frame>, close() }`;
 * rejects if the connection cannot be made within `timeoutMs`.
 */
export function connectFramed(host, port, timeoutMs, protocol) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    socket.setTimeout(timeoutMs)
    let buffer = Buffer.alloc(0)
    let pending
    let lastId = 0
    let connected = false
    const fail = (error) => {
      socket.destroy()
      if (!connected) reject(error)
      if (pending) pending.reject(error)
      pending = undefined
    }
    socket.on('timeout', () =>
      fail(new Error(connected ? `no ${protocol.name} response in time` : 'connect timed out')),
    )
    socket.on('error', fail)
    socket.on('close', () => fail(new Error(`connection closed without a ${protocol.name} response`)))
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      let split
      try {
        split = protocol.split(buffer)
      } catch (error) {
        return fail(error)
      }
      if (!split) return
      buffer = split.rest
      if (!pending) return
      if (protocol.idOf(split.frame) !== pending.id) return fail(new Error('reply has a foreign request id'))
      const { resolve: done } = pending
      pending = undefined
      done(split.frame)
    })
    socket.once('connect', () => {
      connected = true
      resolve({
        request(request) {
          return new Promise((resolveRequest, rejectRequest) => {
            lastId += 1
            pending = { id: lastId, resolve: resolveRequest, reject: rejectRequest }
            socket.write(protocol.encode(lastId, request))
          })
        },
        close() {
          pending = undefined
          socket.destroy()
        },
      })
    })
  })
}
