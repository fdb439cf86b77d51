/** Queues of dead runs: a run killed with kill -9 leaves its queue; the next run and `cdcb clean` find and delete it. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs'
import { describe, expect, it } from 'vitest'
import plugin from '../src/index.js'
import { optionsSchema } from '../src/options.js'
import { endpoint, queuesNamed, runSqs, testClient, uniqueQueue } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')

/** A pid that no process has: one that just exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true')
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

async function until(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Runs the CLI on examples/sqs with `queue`; resolves with its exit code and output. */
function cliRun(
  queue: string,
  flags: string[],
): { exited: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [CLI, 'run', '--config', 'examples/sqs/bench.config.ts', ...flags], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1', SQS_ENDPOINT: endpoint, SQS_QUEUE: queue },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return { exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, output }))) }
}

describe.skipIf(!endpoint)('two runs at once on one queue name', () => {
  it('the second refuses in one line (exit 2) naming how to choose another name, and writes nothing into the first run’s queue', async () => {
    const queue = uniqueQueue('twin')
    const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-sqs-twin-'))
    const out = path.join(dir, 'result.json')
    const first = cliRun(queue, ['--duration', '8s', '--rate', '50', '--workers', '1', '--out', out])
    await until(async () => (await queuesNamed(queue)).length === 1, 'the first run to create its queue')
    const second = await cliRun(queue, ['--duration', '2s', '--rate', '50', '--workers', '1']).exited
    expect(second.code, second.output).toBe(2)
    const lines = second.output.trim().split('\n')
    expect(lines, second.output).toHaveLength(1)
    expect(lines[0]).toMatch(
      /queue "[^"]+" .* is in use by cdcb run \S+ \(its cdcb process \d+ is running\); give this run another queue name/,
    )
    const { code, output } = await first.exited
    expect([0, 1], output).toContain(code)
    const result = JSON.parse(readFileSync(out, 'utf8'))
    rmSync(dir, { recursive: true, force: true })
    expect(result.events.observed).toBe(400)
    expect(result.events.duplicates).toBe(0)
    expect(result.plugins.sink.foreign).toBe(0)
    expect(result.verification.mismatched).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })
})

describe.skipIf(!endpoint)('a queue of a run on another host', () => {
  it('is refused in one line (exit 2) naming how to choose another name; nothing is written into it or deleted', async () => {
    const queue = uniqueQueue('elsewhere')
    const client = testClient()
    try {
      const { QueueUrl } = await client.send(
        new CreateQueueCommand({
          QueueName: queue,
          tags: { 'cdcb:owned': 'run farrun', 'cdcb:process': `other-host-xyz ${await deadPid()}` },
        }),
      )
      await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'theirs' }))
      const { code, output } = await cliRun(queue, ['--duration', '2s', '--rate', '50', '--workers', '1'])
        .exited
      expect(code, output).toBe(2)
      const lines = output.trim().split('\n')
      expect(lines, output).toHaveLength(1)
      expect(lines[0]).toMatch(
        new RegExp(
          `queue "${queue}" at \\S+ belongs to cdcb run farrun, which may still be running \\(its cdcb ran on host other-host-xyz; this host cannot tell\\); give this run another queue name \\(options\\.queue, SQS_QUEUE in the examples\\)`,
        ),
      )
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      )
      expect(Attributes?.ApproximateNumberOfMessages).toBe('1')
    } finally {
      for (const name of await queuesNamed(queue)) {
        const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }))
        await client.send(new DeleteQueueCommand({ QueueUrl }))
      }
      client.destroy()
    }
  })
})

describe.skipIf(!endpoint)('queues left by dead runs', () => {
  it('a run killed with kill -9 leaves its queue; the next run on that name says what it held and deletes it first', async () => {
    const queue = uniqueQueue('killed')
    const args = [CLI, 'run', '--config', 'examples/sqs/bench.config.ts', '--duration', '60s', '--rate', '50']
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1', SQS_ENDPOINT: endpoint, SQS_QUEUE: queue },
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    try {
      await until(async () => (await queuesNamed(queue)).length === 1, 'the run to create its queue')
      await new Promise((resolve) => setTimeout(resolve, 2000)) // some messages sent
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    // Teardown never ran: the queue is still there.
    expect(await queuesNamed(queue)).toEqual([queue])

    const { result, logs } = await runSqs({
      source: { queue },
      load: { rate: 50, duration: '1s', keys: 100, drainTimeout: '20s' },
    })
    const swept = logs.filter((line) => line.includes('was left by cdcb run'))
    expect(swept, logs.join('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sqs: queue ${queue} was left by cdcb run \\S+ \\(its cdcb process ${child.pid} on this host is gone\\), holding about \\d+ messages; deleted it$`,
        ),
      ),
    ])
    expect(logs).toContain(`sqs: created queue ${queue}`)
    // The new run saw only its own messages: the dead run's went with its queue.
    expect(result.events.observed).toBe(50)
    expect(result.plugins.sink?.foreign).toBe(0)
    expect(result.events.lost).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('with -q the run still says it deleted a dead run’s queue (a notice, as a live line would be hidden)', async () => {
    const queue = uniqueQueue('quiet')
    const client = testClient()
    const dead = await deadPid()
    try {
      const { QueueUrl } = await client.send(
        new CreateQueueCommand({
          QueueName: queue,
          tags: { 'cdcb:owned': 'run deadrun2', 'cdcb:process': `${hostname()} ${dead}` },
        }),
      )
      await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'left behind' }))
      const { code, output } = await cliRun(queue, [
        '-q',
        '--duration',
        '1s',
        '--rate',
        '20',
        '--workers',
        '1',
      ]).exited
      expect([0, 1], output).toContain(code)
      expect(output).toContain(
        `cdcb: sqs: queue ${queue} was left by cdcb run deadrun2 (its cdcb process ${dead} on this host is gone), holding about 1 messages; deleted it\n`,
      )
      // Still quiet: no live interval lines, no other plugin lines.
      expect(output).not.toMatch(/sqs: created queue/)
      expect(await queuesNamed(queue)).toEqual([])
    } finally {
      client.destroy()
    }
  })

  it('cdcb clean: reports and deletes only queues of dead cdcb runs; --dry-run only reports', async () => {
    const stem = uniqueQueue('clean')
    const client = testClient()
    const dead = await deadPid()
    const make = async (name: string, tags?: Record<string, string>) => {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, tags }))
      await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'left behind' }))
    }
    try {
      await make(`${stem}-1`, { 'cdcb:owned': 'run deadrun1', 'cdcb:process': `${hostname()} ${dead}` })
      await make(`${stem}-2`, { 'cdcb:owned': 'run liverun', 'cdcb:process': `${hostname()} ${process.pid}` })
      await make(`${stem}-3`, { 'cdcb:owned': 'run elsewhere', 'cdcb:process': `other-host-xyz ${dead}` })
      await make(`${stem}-4`) // not cdcb's
      const options = optionsSchema.parse({ endpoint, queue: stem, queues: 4 })
      const dry: string[] = []
      await plugin.clean!('source', options, { dryRun: true, log: (m) => dry.push(m) })
      expect(dry).toEqual([
        `sqs: queue ${stem}-1 was left by cdcb run deadrun1 (its cdcb process ${dead} on this host is gone), holding about 1 messages; would delete it (--dry-run)`,
        `sqs: queue ${stem}-2 belongs to cdcb run liverun, which may still run (its cdcb process ${process.pid} is running); left in place`,
        `sqs: queue ${stem}-3 belongs to cdcb run elsewhere, which may still run (its cdcb ran on host other-host-xyz); left in place`,
      ])
      expect(await queuesNamed(stem)).toHaveLength(4)
      const done: string[] = []
      await plugin.clean!('source', options, { dryRun: false, log: (m) => done.push(m) })
      expect(done[0]).toMatch(/; deleted it$/)
      expect((await queuesNamed(stem)).sort()).toEqual([`${stem}-2`, `${stem}-3`, `${stem}-4`])
      // What was left is untouched: its message is still there.
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${stem}-2` }))
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      )
      expect(Attributes?.ApproximateNumberOfMessages).toBe('1')
      const again: string[] = []
      await plugin.clean!('sink', options, { dryRun: false, log: (m) => again.push(m) })
      expect(again).toEqual([]) // only the source slot cleans: the sink names the same queues
    } finally {
      for (const name of await queuesNamed(stem)) {
        const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }))
        await client.send(new DeleteQueueCommand({ QueueUrl }))
      }
      client.destroy()
    }
  })
})
