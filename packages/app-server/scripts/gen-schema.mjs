// Writes server.schema.json (the JSON Schema of server.json) from the zod schema, as built in dist/.
// `pnpm build` runs it after tsup (and `pnpm gen:schema` alone); test/config.test.ts fails when the committed file
// differs from what the source generates.
import { writeFileSync } from 'node:fs'
import { serverConfigJsonSchema } from '../dist/index.js'

const target = new URL('../server.schema.json', import.meta.url)
writeFileSync(target, `${JSON.stringify(serverConfigJsonSchema(), null, 2)}\n`)
console.log(`wrote ${target.pathname}`)
