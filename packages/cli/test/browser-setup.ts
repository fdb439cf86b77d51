/**
 * Global setup of the `browser` project: Debian's Chromium for the HTML
 * report's test, installed with apt-get when it is missing (root only; the
 * helper names the command to run otherwise).
 */
import type { TestProject } from 'vitest/node'
import { ensureDebianBinary } from '../../../services/index.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: string
  }
}

export default function setup(project: TestProject) {
  const chromium = ensureDebianBinary('/usr/bin/chromium', 'chromium', {
    log: (line) => process.stderr.write(`[browser] ${line}\n`),
  })
  project.provide('chromium', chromium)
}
