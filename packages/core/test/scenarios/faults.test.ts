import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { nowMicros } from '../../src/clock.js'
import { checkFault, type FaultPlan, pidIn, startFaults } from '../../src/scenarios/faults.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-faults-'))
  dirs.push(dir)
  return dir
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Polls, so a loaded machine's late timers slow the test down instead of failing it. */
async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}
/** The process state letter from /proc: T when stopped, S or R otherwise. */
const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]

function context(
  baseDir: string,
  actions?: Record<string, (args?: Record<string, unknown>) => Promise<void>>,
) {
  const events: string[] = []
  return {
    events,
    ctx: { baseDir, pipelineActions: actions, now: nowMicros, onEvent: (m: string) => void events.push(m) },
  }
}

describe('faults', () => {
  it('SIGSTOPs the process named by a pid file for its duration, then continues it', async () => {
    const dir = tempDir()
    const child = spawn('sleep', ['30'])
    try {
      writeFileSync(path.join(dir, 'broker.pid'), `${child.pid}\n`)
      const plan: FaultPlan = {
        name: 'freeze',
        atMicros: 100e3,
        forMicros: 400e3,
        action: { signal: 'SIGSTOP', pidFile: 'broker.pid' },
      }
      const { ctx, events } = context(dir)
      const runner = startFaults([plan], nowMicros(), ctx)
      await until(() => stateOf(child.pid!) === 'T')
      await until(() => stateOf(child.pid!) !== 'T')
      const [record] = await runner.stop()
      expect(record!.error).toBeNull()
      expect(record!.startedAt).toBeGreaterThanOrEqual(0.1)
      // The undo is planned at at + for (0.5 s), however late the start ran on a loaded machine.
      expect(record!.endedAt!).toBeGreaterThanOrEqual(0.49)
      expect(events[0]).toMatch(/^fault "freeze" started at 0\.\ds$/)
      expect(events[1]).toMatch(/^fault "freeze" ended at 0\.\ds$/)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it("reads the services harness's JSON pid file (kafka.pid), not only a bare number", async () => {
    const dir = tempDir()
    const child = spawn('sleep', ['30'])
    try {
      // What services/lib/lifecycle.mjs writes for a server it started.
      writeFileSync(
        path.join(dir, 'kafka.pid'),
        `${JSON.stringify({ pid: child.pid, port: 9092, address: '127.0.0.1:9092', match: 'kafka.Kafka' })}\n`,
      )
      const plan: FaultPlan = {
        name: 'freeze',
        atMicros: 0,
        forMicros: 300e3,
        action: { signal: 'SIGSTOP', pidFile: 'kafka.pid' },
      }
      const { ctx } = context(dir)
      const runner = startFaults([plan], nowMicros(), ctx)
      await until(() => stateOf(child.pid!) === 'T')
      await until(() => stateOf(child.pid!) !== 'T')
      const [record] = await runner.stop()
      expect(record!.error).toBeNull()
      expect(record!.endedAt).not.toBeNull()
    } finally {
      child.kill('SIGKILL')
    }
    expect(pidIn('{"pid":"12"}')).toBeUndefined()
    expect(pidIn('12 13')).toBeUndefined()
    expect(pidIn(' 42\n')).toBe(42)
  })

  it('names the pid and the pid file when the process is gone, not a bare "kill ESRCH" (trial15 item 8)', async () => {
    const dir = tempDir()
    const child = spawn('true')
    await new Promise((resolve) => child.on('exit', resolve))
    const file = path.join(dir, 'dead.pid')
    writeFileSync(file, `${child.pid}\n`)
    const { ctx, events } = context(dir)
    const runner = startFaults(
      [{ name: 'freeze', atMicros: 0, action: { signal: 'SIGSTOP', pidFile: 'dead.pid' } }],
      nowMicros(),
      ctx,
    )
    await until(() => events.length > 0)
    const [record] = await runner.stop()
    expect(record!.startedAt).toBeNull()
    expect(record!.error).toBe(
      `cannot send SIGSTOP to pid ${child.pid} from pid file ${file}: no such process (it has exited, or the pid file is stale)`,
    )
  })

  it('undoes a fault still in force when the run stops early: a stopped broker is always continued', async () => {
    const dir = tempDir()
    const child = spawn('sleep', ['30'])
    try {
      writeFileSync(path.join(dir, 'broker.pid'), String(child.pid))
      const { ctx } = context(dir)
      const runner = startFaults(
        [
          {
            name: 'freeze',
            atMicros: 0,
            forMicros: 60e6,
            action: { signal: 'SIGSTOP', pidFile: 'broker.pid' },
          },
        ],
        nowMicros(),
        ctx,
      )
      await until(() => stateOf(child.pid!) === 'T')
      const [record] = await runner.stop()
      expect(stateOf(child.pid!)).not.toBe('T')
      expect(record!.endedAt).not.toBeNull()
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('runs a command and its undo, and reports a failing command with its last stderr line', async () => {
    const dir = tempDir()
    const marker = path.join(dir, 'on')
    const { ctx, events } = context(dir)
    const runner = startFaults(
      [
        {
          name: 'touch',
          atMicros: 0,
          forMicros: 200e3,
          action: { exec: `touch ${marker}`, undo: `rm ${marker}` },
        },
        { name: 'broken', atMicros: 0, forMicros: undefined, action: { exec: 'echo nope >&2; exit 3' } },
      ],
      nowMicros(),
      ctx,
    )
    await until(() => existsSync(marker))
    await until(() => !existsSync(marker))
    const records = await runner.stop()
    expect(records[1]!.error).toBe('echo nope >&2; exit 3: nope')
    expect(events).toContain('fault "broken" failed: echo nope >&2; exit 3: nope')
  })

  it("calls the pipeline part's actions with their arguments, and never starts a fault after stop", async () => {
    const calls: string[] = []
    const actions = {
      pause: async (args?: Record<string, unknown>) => void calls.push(`pause ${JSON.stringify(args)}`),
      resume: async () => void calls.push('resume'),
    }
    const { ctx } = context(tempDir(), actions)
    const runner = startFaults(
      [
        {
          name: 'pause',
          atMicros: 0,
          forMicros: 100e3,
          action: { pipeline: 'pause', args: { connector: 'pg' }, undo: 'resume' },
        },
        { name: 'late', atMicros: 10e6, forMicros: undefined, action: { pipeline: 'pause' } },
      ],
      nowMicros(),
      ctx,
    )
    await until(() => calls.length === 2)
    const records = await runner.stop()
    expect(calls).toEqual(['pause {"connector":"pg"}', 'resume'])
    expect(records[1]).toMatchObject({ startedAt: null, endedAt: null, error: null })
  })

  it('finds unknown signals and pipeline actions before the run', () => {
    const plan = (action: FaultPlan['action']): FaultPlan => ({
      name: 'x',
      atMicros: 0,
      forMicros: 1,
      action,
    })
    expect(checkFault(plan({ signal: 'SIGSTAHP', pidFile: 'x' }), undefined)).toMatch(
      /unknown signal "SIGSTAHP"/,
    )
    expect(checkFault(plan({ pipeline: 'pause' }), undefined)).toMatch(/no pipeline part/)
    expect(checkFault(plan({ pipeline: 'paws' }), { pause: async () => {} })).toBe(
      'pipeline action "paws" does not exist (the pipeline offers: pause)',
    )
    expect(checkFault(plan({ signal: 'SIGSTOP', pidFile: 'x' }), undefined)).toBeUndefined()
  })
})
