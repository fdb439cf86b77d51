/** Global setup of the `integration-prometheus` project: Debian's Prometheus, installed with apt-get when missing. */
import type { TestProject } from 'vitest/node'
import { ensureDebianBinary } from '../../../services/index.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    prometheus: string
  }
}

export default function setup(project: TestProject) {
  const prometheus = ensureDebianBinary('/usr/bin/prometheus', 'prometheus', {
    log: (line) => process.stderr.write(`[prometheus] ${line}\n`),
  })
  project.provide('prometheus', prometheus)
}
