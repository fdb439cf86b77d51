/**
 * Option schemas every plugin needs, so each says the same thing the same way
 * (`source.options.pool: expected a positive whole number`). They are zod 4
 * schemas, as core's own config schema is; compose them into a plugin's
 * `z.strictObject({ … })`.
 */
import { z } from 'zod'
import { parseDurationMicros } from './units.js'

/** A duration as configs write it: `"500ms"`, `"1.5s"`, `"2m"`, or a number of milliseconds. */
export function durationOption(example = '"500ms" or "5s"') {
  const error = `expected a duration such as ${example}`
  return z
    .union([z.string(), z.number()], { error })
    .refine((v) => parseDurationMicros(v) !== undefined, { error })
}

/** A whole number above zero (a pool size, a batch size, a port). */
export function positiveIntOption() {
  const error = 'expected a positive whole number'
  return z.number({ error }).int({ error }).positive({ error })
}

/**
 * A URL whose scheme is one of `schemes` and that names its host, e.g.
 * `urlOption(['postgres', 'postgresql'], 'postgres://user@host:5432/db')`.
 * It must parse as a WHATWG URL; a URL without a host (`postgres:///db`) is
 * refused, since drivers would fall back to PGHOST, a socket or localhost: a
 * server the config never named. Errors: `expected a connection URL such as …`
 * or `… names no host — …`, shown by core as `<origin>: <field>: <message>`.
 */
export function urlOption(schemes: readonly string[], example: string) {
  const error = `expected a connection URL such as ${example}`
  const scheme = new RegExp(`^(${schemes.map((s) => s.replace(/[^a-z0-9+.-]/gi, '')).join('|')})://`, 'i')
  return z
    .string({ error })
    .refine((v) => scheme.test(v) && URL.canParse(v), { error, abort: true })
    .refine((v) => new URL(v).hostname !== '', {
      error: `names no host — write it, as in ${example}; cdcb does not fall back to a socket or localhost`,
    })
}
