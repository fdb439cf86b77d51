import Clean from './clean.js'
import Init from './init.js'
import Run from './run.js'

/** Every command, for oclif's explicit strategy: no directory scan at start-up, so `cdcb --version` stays fast. */
export const COMMANDS = { run: Run, init: Init, clean: Clean }
