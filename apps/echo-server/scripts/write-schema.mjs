// Writes server.schema.json: the JSON Schema of `socketlite-echo --config server.json`, which is app-server's
// configuration, generated from app-server's zod schema. `pnpm build` runs it after tsup; test/schema.test.ts fails
// when the committed file differs from what app-server generates.
import { writeFileSync } from 'node:fs'
import { serverConfigJsonSchema } from '@socketlite/app-server'

const target = new URL('../server.schema.json', import.meta.url)
writeFileSync(target, `${JSON.stringify(serverConfigJsonSchema(), null, 2)}\n`)
console.log(`wrote ${target.pathname}`)
