/**
 * Command-line parsing with cdcb's manners, for every command: a mistake on the
 * command line is one line and exit 2, like a mistake in a config — an unknown
 * flag gets a did-you-mean, a missing or extra argument the usage line, instead
 * of oclif's usage dump. A flag that names a file is made with `pathFlag`, and an
 * empty value of one is refused here (each command used to read it its own way:
 * ignored, or as the current folder).
 */
import { fail } from './exit.js'

/** The parts of an oclif command class that its messages name. */
export interface CommandLine {
  readonly flags: Record<string, unknown>
  readonly args?: Record<string, unknown>
}

/** Flag definitions made by `pathFlag`. */
const pathFlags = new WeakSet<object>()

/** Marks a string flag as naming a file (or a file prefix): `parseCommandLine` refuses it empty. */
export function pathFlag<T extends object>(flag: T): T {
  pathFlags.add(flag)
  return flag
}

/** Runs oclif's `parse`; a mistake ends the process with one line and exit 2. */
export async function parseCommandLine<T extends { flags: Record<string, unknown> }>(
  parse: () => Promise<T>,
  command: CommandLine,
  name: string,
): Promise<T> {
  let parsed: T
  try {
    parsed = await parse()
  } catch (error) {
    fail(2, `${name}: ${await describeMistake(error, command, name)}`)
  }
  for (const [flag, definition] of Object.entries(command.flags)) {
    if (pathFlags.has(definition as object) && parsed.flags[flag] === '')
      // A required flag cannot be left out: offering that would send the user to another error.
      fail(
        2,
        `${name}: --${flag} is empty — give it a path${(definition as { required?: boolean }).required ? '' : ', or leave it out'}`,
      )
  }
  return parsed
}

/** The fields of oclif's parse errors read here (its error classes are not exported). */
interface ParseError {
  readonly message?: string
  /** NonExistentFlagsError: the flags as typed. */
  readonly flags?: unknown
  /** RequiredArgsError: the missing arguments' definitions; UnexpectedArgsError: the extra inputs. */
  readonly args?: unknown
  readonly parse?: { readonly output?: { readonly raw?: ReadonlyArray<{ type: string; input: string }> } }
}

async function describeMistake(error: unknown, command: CommandLine, name: string): Promise<string> {
  const mistake = (error ?? {}) as ParseError
  if (Array.isArray(mistake.flags) && mistake.flags.length > 0)
    return unknownFlag(String(mistake.flags[0]), command, name)
  const argNames = Object.keys(command.args ?? {})
  const usage = `usage: cdcb ${name}${argNames.map((arg) => ` ${arg.toUpperCase()}`).join('')}`
  if (Array.isArray(mistake.args) && mistake.args.length > 0) {
    if (typeof mistake.args[0] === 'object') {
      const missing = mistake.args as Array<{ name: string; description?: string }>
      return `missing ${missing.map(describeArg).join(' and ')} — ${usage}`
    }
    // oclif lists the extras after sorting the arguments by first occurrence, so in `compare a b a` the
    // extra came out as b: the raw arguments keep the order they were given in.
    const given = (mistake.parse?.output?.raw ?? []).filter((token) => token.type === 'arg')
    const extra = given[argNames.length]?.input ?? String(mistake.args[0])
    return argNames.length === 0
      ? `unexpected argument ${extra} — cdcb ${name} takes none (cdcb ${name} --help)`
      : `unexpected ${ordinal(argNames.length + 1)} argument ${extra} — ${usage}`
  }
  const lines = stripAnsi(mistake.message ?? String(error))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with|^The following errors? occurred/.test(line))
  const required = lines.map((line) => /^Missing required flag (\S+)/.exec(line)?.[1]).find(Boolean)
  if (required) return `missing --${required}, which is required (cdcb ${name} --help)`
  return `${lines.join('; ')} (cdcb ${name} --help)`
}

async function unknownFlag(typed: string, command: CommandLine, name: string): Promise<string> {
  const known = Object.entries(command.flags).flatMap(([flag, definition]) => [
    `--${flag}`,
    ...((definition as { allowNo?: boolean }).allowNo ? [`--no-${flag}`] : []),
  ])
  const given = typed.split('=')[0]!
  const { closest } = await import('@cdcb/core/runtime')
  const suggestion = closest(given, known)
  return `unknown flag ${given}${suggestion ? ` — did you mean ${suggestion}?` : ''} (cdcb ${name} --help lists them)`
}

/** `CANDIDATE (the new result)`, from the argument's name and description. */
function describeArg(arg: { name: string; description?: string }): string {
  const description = arg.description?.replace(/\.$/, '')
  return description
    ? `${arg.name.toUpperCase()} (${description[0]!.toLowerCase()}${description.slice(1)})`
    : arg.name.toUpperCase()
}

function ordinal(n: number): string {
  return `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  return text.replace(/\u001b\[[0-9;]*m/g, '')
}
