// The JSON Schema of `server.json`, generated from the valibot schema that AppServer validates with (src/
// server-config-schema.ts), plus the cross-field rules JSON Schema can express (exactly one of `port` / `listeners`;
// the two certificate forms). `pnpm build` (and `pnpm gen:schema` alone) runs this file to write server.schema.json,
// which the package ships as `@socketlite/app-server/server.schema.json`; test/config.test.ts fails when the
// committed file differs from what the source generates. The converter is a build-time tool, not a dependency.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { toJsonSchema } from '@valibot/to-json-schema'
import { serverConfigFieldSchema } from '../src/server-config-schema.js'

/** A JSON Schema document (draft 2020-12). */
export type JsonSchema = Record<string, unknown>

export function serverConfigJsonSchema(): JsonSchema {
  const schema = toJsonSchema(serverConfigFieldSchema, {
    target: 'draft-2020-12',
    errorMode: 'throw',
    ignoreActions: ['check'], // "not an array": JSON Schema's "type": "object" says it already
  }) as JsonSchema
  const properties = schema.properties as Record<string, JsonSchema>
  const certificate = properties.certificate
  if (certificate !== undefined) {
    certificate.oneOf = [{ required: ['certFile', 'keyFile'] }, { required: ['pfxFile'] }]
  }
  return {
    $schema: schema.$schema,
    title: 'socketlite server configuration',
    ...schema,
    oneOf: [
      { required: ['port'], not: { required: ['listeners'] } },
      { required: ['listeners'], not: { required: ['port'] } },
    ],
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL('../server.schema.json', import.meta.url)
  writeFileSync(target, `${JSON.stringify(serverConfigJsonSchema(), null, 2)}\n`)
  console.log(`wrote ${target.pathname}`)
}
