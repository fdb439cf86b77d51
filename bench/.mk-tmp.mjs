import { Admin } from '@platformatic/kafka'

const admin = new Admin({ bootstrapBrokers: ['127.0.0.1:19292'], clientId: 'x' })
const [cmd, topic] = process.argv.slice(2)
if (cmd === 'create')
  await admin.createTopics({
    topics: [topic],
    partitions: 6,
    replicas: -1,
    configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
  })
else await admin.deleteTopics({ topics: [topic] })
await admin.close()
