// Writes server.schema.json: the JSON Schema of `socketlite-echo --config server.json`, which is app-server's
// configuration: a copy of the file app-server ships (`@socketlite/app-server/server.schema.json`, generated from its
// config schema). `pnpm build` runs it after tsup; test/schema.test.ts fails when the committed copy differs.
import { copyFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const source = fileURLToPath(import.meta.resolve('@socketlite/app-server/server.schema.json'))
const target = new URL('../server.schema.json', import.meta.url)
copyFileSync(source, target)
console.log(`wrote ${target.pathname}`)
