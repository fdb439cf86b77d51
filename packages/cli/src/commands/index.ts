import Init from './init.js'
import Run from './run.js'
import Search from './search.js'

/** Every command, for oclif's explicit strategy: no directory scan at start-up, so `cdcb --version` stays fast. */
export const COMMANDS = { run: Run, search: Search, init: Init }
