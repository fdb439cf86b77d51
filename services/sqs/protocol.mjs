/**
 * Just enough of the SQS JSON protocol (AWS JSON 1.0, as the AWS SDKs speak it)
 * to tell an SQS endpoint from any other server without a client library:
 * `AmazonSQS.ListQueues`, which ElasticMQ and AWS both answer with a JSON
 * object (`{"QueueUrls":[…]}`, or `{}` with no queues).
 */

/**
 * Asks `http://host:port/` to list its queues. Resolves `{ listening: false }`
 * when nothing accepts the connection, `{ listening: true, matches: false,
 * detail }` when something answers but not as SQS, and `{ listening: true,
 * matches: true, queues }` (the number of queues) when an SQS endpoint answers.
 */
export async function probeSqs(host, port, timeoutMs = 2000) {
  let response
  try {
    response = await fetch(`http://${host}:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.ListQueues',
        // ElasticMQ does not check signatures; AWS would refuse this unsigned call, as it should.
        authorization: 'AWS4-HMAC-SHA256 Credential=cdcb/20260101/us-east-1/sqs/aws4_request',
      },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    const code = error?.cause?.code ?? error?.name ?? 'error'
    return { listening: code !== 'ECONNREFUSED', matches: false, detail: code }
  }
  const text = await response.text().catch(() => '')
  if (response.status !== 200) {
    return { listening: true, matches: false, detail: `HTTP ${response.status} to AmazonSQS.ListQueues` }
  }
  try {
    const body = JSON.parse(text)
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object')
    if (body.QueueUrls !== undefined && !Array.isArray(body.QueueUrls)) throw new Error('QueueUrls')
    return { listening: true, matches: true, queues: body.QueueUrls?.length ?? 0 }
  } catch {
    return { listening: true, matches: false, detail: 'the answer to AmazonSQS.ListQueues is not SQS JSON' }
  }
}
