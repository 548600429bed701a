import { z } from 'zod'
import { serverConfigFieldSchema } from './server-config-schema.js'

/** A JSON Schema document (draft 2020-12). */
export type JsonSchema = Record<string, unknown>

/**
 * The JSON Schema of `server.json`, generated from the same zod schema that `resolveServerConfig` validates with,
 * plus the cross-field rules JSON Schema can express (exactly one of `port` / `listeners`; the two certificate
 * forms). The package ships it as `@socketlite/app-server/server.schema.json`; point a config file's `$schema` at
 * it for editor completion.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * await writeFile('server.schema.json', `${JSON.stringify(serverConfigJsonSchema(), null, 2)}\n`)
 * ```
 */
export function serverConfigJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(serverConfigFieldSchema, { io: 'input' }) as JsonSchema
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
