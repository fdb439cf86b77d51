import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runRoot, servicePaths } from '../lib/paths.mjs'

describe('services state', () => {
  it('is kept per checkout, so `down` in one clone never stops another clone’s servers', () => {
    const one = runRoot({}, '/home/me/cdcb')
    const other = runRoot({}, '/home/me/cdcb-review')
    expect(one).not.toBe(other)
    expect(runRoot({}, '/home/me/cdcb')).toBe(one)
    expect(path.basename(one)).toMatch(/^cdcb-services-[0-9a-f]{12}$/)
  })

  it('goes where CDCB_SERVICES_TMP says, when set', () => {
    const env = { CDCB_SERVICES_TMP: '/tmp/mine' }
    expect(runRoot(env)).toBe('/tmp/mine')
    expect(servicePaths('kafka', env).pidFile).toBe('/tmp/mine/kafka/kafka.pid')
  })
})
