/**
 * examples/kubernetes, read as Kubernetes would: the Indexed Job turns each
 * pod's JOB_COMPLETION_INDEX into --shard INDEX/N with N its completions, every
 * shard shares the run id and start time and writes its result onto the shared
 * volume, and the merge step reads exactly those N files from it. The commands'
 * flags are checked against the real `cdcb run` and `cdcb merge`, and the
 * config resolves as a shard of N.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfigFile, resolveConfig } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import Merge from '../src/commands/merge.js'
import Run from '../src/commands/run.js'
import { tempDir } from './helpers.js'

const dir = fileURLToPath(new URL('../../../examples/kubernetes/', import.meta.url))

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes manifests are checked field by field below.
type Manifest = any

function manifests(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))
  for (const doc of docs) expect(doc.errors, file).toEqual([])
  return docs.map((doc) => doc.toJS())
}

/** The shell command of a pod's only container, and the `--flag`s in it. */
function commandOf(job: Manifest): { script: string; flags: string[] } {
  const container = job.spec.template.spec.containers[0]
  expect(container.command.slice(0, 2)).toEqual(['sh', '-c'])
  const script: string = container.command[2]
  return { script, flags: [...script.matchAll(/\s--([a-z-]+)/g)].map((m) => m[1]!) }
}

/** Where the pod mounts the results volume, and which claim backs it. */
function resultsMount(job: Manifest): { mountPath: string; claim: string } {
  const spec = job.spec.template.spec
  const mount = spec.containers[0].volumeMounts.find((m: Manifest) => m.name === 'results')
  const volume = spec.volumes.find((v: Manifest) => v.name === 'results')
  return { mountPath: mount.mountPath, claim: volume.persistentVolumeClaim.claimName }
}

/** A command's flags as a user may write them: `--tui` also as `--no-tui`. */
function flagNames(flags: Record<string, { allowNo?: boolean }>): string[] {
  return Object.entries(flags).flatMap(([name, flag]) => (flag.allowNo ? [name, `no-${name}`] : [name]))
}

function envNames(job: Manifest): string[] {
  return job.spec.template.spec.containers[0].env.map((e: Manifest) => e.name)
}

describe('examples/kubernetes', () => {
  const [claim, shards] = manifests('shards-job.yaml')
  const [merge] = manifests('merge-job.yaml')

  it('runs one shard per pod of an Indexed Job, all at once, each once', () => {
    expect(shards.kind).toBe('Job')
    expect(shards.spec.completionMode).toBe('Indexed')
    const { script, flags } = commandOf(shards)
    const count = Number(/--shard "\$JOB_COMPLETION_INDEX\/(\d+)"/.exec(script)?.[1])
    expect(count).toBeGreaterThan(1)
    expect(shards.spec.completions).toBe(count)
    expect(shards.spec.parallelism).toBe(count)
    // A retried pod would start after --start-at and be refused: no retries.
    expect(shards.spec.backoffLimit).toBe(0)
    expect(shards.spec.template.spec.restartPolicy).toBe('Never')
    expect(script).toMatch(/--run-id "\$RUN_ID"/)
    expect(script).toMatch(/--start-at "\$START_AT"/)
    expect(envNames(shards)).toEqual(expect.arrayContaining(['RUN_ID', 'START_AT', 'SOURCE_URL']))
    for (const flag of flags) expect(flagNames(Run.flags), `cdcb run --${flag}`).toContain(flag)
  })

  it('lets a shard that failed only an SLO complete, so the merge Job judges the run; any other failure fails the pod', () => {
    // Found by a fresh user: with backoffLimit 0, one shard failing a latency SLO (exit 1) failed the
    // Job, `kubectl wait --for=condition=complete` waited its whole timeout and the merge never ran.
    const { script } = commandOf(shards)
    const { mountPath } = resultsMount(shards)
    const dir = tempDir()
    // A stand-in for cdcb on the PATH: it writes the result given and exits with the code given.
    const fake = path.join(dir, 'cdcb')
    writeFileSync(
      fake,
      '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --out ] && out="$2"; shift; done\n[ -n "$RESULT" ] && printf %s "$RESULT" > "$out"\nexit "$CODE"\n',
    )
    chmodSync(fake, 0o755)
    const pod = (code: number, result?: object) =>
      spawnSync('sh', ['-c', script.replaceAll(mountPath, path.join(dir, 'results'))], {
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          RUN_ID: 'k8stest',
          START_AT: '2026-12-06T21:30:00Z',
          JOB_COMPLETION_INDEX: '1',
          CODE: String(code),
          RESULT: result ? JSON.stringify(result) : '',
        },
        encoding: 'utf8',
      })
    const sloFailed = pod(1, { status: 'failed', slo: { passed: false } })
    expect(sloFailed.status).toBe(0)
    expect(sloFailed.stdout).toMatch(
      /shard 1: an SLO failed on this shard's events; the merge Job judges the run/,
    )
    expect(pod(0, { status: 'passed' }).status).toBe(0)
    // A fault that could not be applied fails the run with a reason: the scenario was not measured.
    expect(pod(1, { status: 'failed', reason: 'fault "kill" failed: exit code 4' }).status).toBe(1)
    // Exit 1 without a result to show it was an SLO is no SLO failure.
    expect(pod(1).status).toBe(1)
    expect(pod(2).status).toBe(2)
    expect(pod(3).status).toBe(3)
    expect(pod(130).status).toBe(130)
  })

  it('writes each shard onto a volume every pod can mount, and merges exactly those files with the SLO gate', () => {
    expect(claim.kind).toBe('PersistentVolumeClaim')
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany'])
    const shardMount = resultsMount(shards)
    const mergeMount = resultsMount(merge)
    expect(shardMount.claim).toBe(claim.metadata.name)
    expect(mergeMount.claim).toBe(claim.metadata.name)
    expect(mergeMount.mountPath).toBe(shardMount.mountPath)

    const out = /--out "([^"]+)"/.exec(commandOf(shards).script)![1]!
    expect(out.startsWith(`${shardMount.mountPath}/`)).toBe(true)
    expect(out).toContain('$JOB_COMPLETION_INDEX')
    const { script, flags } = commandOf(merge)
    expect(script).toMatch(/^exec cdcb merge /)
    const inputs = [...script.matchAll(/"([^"]+\.json)"/g)]
      .map((m) => m[1]!)
      .filter((f) => !f.endsWith('merged.json'))
    const expected = Array.from({ length: shards.spec.completions }, (_, i) =>
      out.replace('$JOB_COMPLETION_INDEX', String(i)),
    )
    expect(inputs).toEqual(expected)
    // The merge's exit code is the gate: no retry that could turn a failed SLO into a pass.
    expect(merge.spec.backoffLimit).toBe(0)
    expect(envNames(merge)).toContain('RUN_ID')
    for (const flag of flags) expect(flagNames(Merge.flags), `cdcb merge --${flag}`).toContain(flag)
  })

  it('has a config that resolves as a shard of the Job', async () => {
    const count = shards.spec.completions
    const configPath = path.join(dir, 'bench.config.ts')
    const saved = process.env.SOURCE_URL
    process.env.SOURCE_URL = 'postgres://cdcb@db.invalid:5432/app'
    try {
      const config = await resolveConfig(await loadConfigFile(configPath), {
        configPath,
        overrides: {
          shard: `${count - 1}/${count}`,
          runId: 'k8stest',
          startAt: new Date(Date.now() + 60_000).toISOString(),
        },
      })
      expect(config.shard).toEqual({ index: count - 1, count })
      expect(config.runId).toBe('k8stest')
      expect(config.slo.length).toBeGreaterThan(0)
    } finally {
      if (saved === undefined) delete process.env.SOURCE_URL
      else process.env.SOURCE_URL = saved
    }
  })
})

describe('the image’s build context', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  // `#` comments and blank lines aside, each line is a pattern relative to the context root (Docker's rules,
  // which path.matchesGlob follows for *, ** and ?); a folder that matches takes its contents with it.
  const patterns = readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  const ignored = (file: string) => {
    const parts = file.split('/')
    return parts.some((_, i) => patterns.some((p) => path.matchesGlob(parts.slice(0, i + 1).join('/'), p)))
  }

  it('is the repository root, as the Dockerfile says', () => {
    const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/docker build -f examples\/kubernetes\/Dockerfile -t \S+ \.$/m)
    expect(dockerfile).toMatch(/^COPY \. \.$/m)
  })

  it('leaves out what a checkout installed, built, measured or tested', () => {
    for (const file of [
      '.git/HEAD',
      'node_modules/@oclif/core/package.json',
      'packages/core/node_modules/x/index.js',
      'packages/core/dist/index.js',
      'packages/cli/tsconfig.tsbuildinfo',
      'result.json',
      'examples/kubernetes/cdcb-result.json',
      'results/run1_history.csv',
      'report.html',
      'slo.xml',
      'coverage/index.html',
      'test-artifacts/trace.zip',
    ])
      expect(ignored(file), file).toBe(true)
  })

  it('keeps every file of the repository, which npm ci and tsc -b in the image need', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n')
    expect(tracked).toContain('package-lock.json')
    expect(tracked.filter(ignored)).toEqual([])
  })
})
