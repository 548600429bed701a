import { readFileSync } from 'node:fs'
import { serverConfigJsonSchema } from '@socketlite/app-server'
import { expect, test } from 'vitest'

test('the shipped server.schema.json is the one app-server generates (run `pnpm gen:schema` when it changes)', () => {
  const shipped = JSON.parse(readFileSync(new URL('../server.schema.json', import.meta.url), 'utf8')) as unknown
  expect(shipped).toEqual(serverConfigJsonSchema())
})
