// CPU accounting from /proc for the pipeline benches (Linux only): which process
// of a pipeline is busy at a rate. Times are clock ticks (USER_HZ, 100 a second).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { runRoot } from '../services/lib/paths.mjs'

export const TICKS_PER_SECOND = 100

/** pid of a server the services harness started (its JSON pid file in this checkout's state folder), or undefined. */
export function servicePid(service, env = process.env) {
  try {
    return JSON.parse(readFileSync(path.join(runRoot(env), service, `${service}.pid`), 'utf8')).pid
  } catch {
    return undefined
  }
}

function statFields(stat) {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** pid → parent pid of every live process. */
function parents() {
  const out = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      out.set(Number(entry), Number(statFields(readFileSync(`/proc/${entry}/stat`, 'utf8'))[1]))
    } catch {}
  }
  return out
}

/** `pids` and all their descendants. */
function withDescendants(pids) {
  const family = new Set(pids.filter((pid) => pid !== undefined))
  const parentOf = parents()
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, ppid] of parentOf) {
      if (!family.has(pid) && family.has(ppid)) {
        family.add(pid)
        grew = true
      }
    }
  }
  return [...family]
}

/**
 * CPU ticks (user + system, every thread) of a process and its descendants — a
 * server started through a wrapper is counted with the JVM under it; 0 when gone.
 */
export function treeTicks(pid) {
  if (pid === undefined) return 0
  let sum = 0
  for (const member of withDescendants([pid])) {
    try {
      const fields = statFields(readFileSync(`/proc/${member}/stat`, 'utf8'))
      sum += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  return sum
}

/** Ticks of each thread (by thread id) of a process whose name `wanted(threadName)` accepts. */
export function threadTicksById(pid, wanted) {
  const out = new Map()
  if (pid === undefined) return out
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (!wanted(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim())) continue
        const fields = statFields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))
        out.set(tid, Number(fields[11]) + Number(fields[12]))
      } catch {} // the thread ended while being read
    }
  } catch {}
  return out
}

/** Ticks of an embedded PostgreSQL server: the postmaster whose command line names `port`, and its backends. */
export function postgresTicks(port) {
  const postmasters = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmd.includes('postgres') && cmd.includes(`-p\0${port}`)) postmasters.push(Number(entry))
    } catch {}
  }
  return postmasters.reduce((sum, pid) => sum + treeTicks(pid), 0)
}
