import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'

test('the shipped server.schema.json is the one app-server ships (run `pnpm gen:schema` when it changes)', () => {
  const read = (url: string | URL) => JSON.parse(readFileSync(new URL(url), 'utf8')) as unknown
  const shipped = read(new URL('../server.schema.json', import.meta.url))
  expect(shipped).toEqual(read(import.meta.resolve('@socketlite/app-server/server.schema.json')))
  expect(shipped).toMatchObject({ title: 'socketlite server configuration', additionalProperties: false })
})
