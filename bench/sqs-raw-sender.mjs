// The baseline for bench/sqs-source-throughput.mjs: a bare @aws-sdk/client-sqs
// loop, `calls` SendMessageBatch calls in flight, each of 10 messages with the
// body size the cdcb source writes for `payload` bytes (a marker, op, key and
// payload in JSON), no per-key ordering, no payload generation. With a queue
// count N > 1 it creates `<queue>-1` … `<queue>-N` and the calls take them in turn.
// Usage: node bench/sqs-raw-sender.mjs <endpoint> <queue> <calls in flight> <warmup s> <seconds> <payload bytes> [queues, default 1]
// Prints one JSON line: { sent, seconds, rate }.
import './node24.mjs'
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'

const [endpoint, queue, callsArg, warmupArg, secondsArg, payloadArg, queuesArg = '1'] = process.argv.slice(2)
const client = new SQSClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'cdcb', secretAccessKey: 'cdcb' },
  maxAttempts: 1,
})
const count = Number(queuesArg)
const names = count === 1 ? [queue] : Array.from({ length: count }, (_, i) => `${queue}-${i + 1}`)
const urls = []
for (const name of names) {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }))
  urls.push(QueueUrl)
}
let next = 0
const body = `{"cdcb":"cdcb1:abcdefgh:123456:1795970000000000:0123abcd","op":"insert","key":12345,"payload":"${'x'.repeat(Number(payloadArg))}"}`
const entries = Array.from({ length: 10 }, (_, i) => ({
  Id: String(i),
  MessageBody: body,
  MessageAttributes: { 'cdcb-key': { DataType: 'String', StringValue: '12345' } },
}))
const start = performance.now()
const measureFrom = start + Number(warmupArg) * 1000
const end = measureFrom + Number(secondsArg) * 1000
let sent = 0
await Promise.all(
  Array.from({ length: Number(callsArg) }, async () => {
    while (performance.now() < end) {
      const QueueUrl = urls[next]
      next = (next + 1) % urls.length
      const result = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }))
      if (performance.now() >= measureFrom) sent += result.Successful?.length ?? 0
    }
  }),
)
const seconds = (performance.now() - measureFrom) / 1000
for (const QueueUrl of urls) await client.send(new DeleteQueueCommand({ QueueUrl }))
console.log(JSON.stringify({ sent, seconds, rate: sent / seconds }))
