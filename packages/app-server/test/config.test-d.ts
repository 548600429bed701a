import type {
  CertificateConfig,
  CertificateOptions,
  ListenerConfig,
  PemCertificateConfig,
  PfxCertificateConfig,
  ResolvedServerConfig,
  ServerConfig,
} from '@socketlite/socket-base'
import { expectTypeOf, test } from 'vitest'
import type { ServerConfigDefaults, ServerConfigInput, ServerConfigOutput } from '../src/server-config-schema.js'

// socket-base's ServerConfig and ListenerConfig are written by hand (the contract, with JSDoc for editors); the
// schema in src/server-config-schema.ts is the source of truth. These checks fail as soon as the two differ.

type SchemaCertificate = NonNullable<ServerConfigInput['certificate']>
/** Each field's value type, whether optional or not. */
type Values<T> = { [K in keyof T]-?: Exclude<T[K], undefined> }

test("ServerConfig is exactly the schema's input type (but $schema, and the certificate's two forms)", () => {
  expectTypeOf<Omit<ServerConfig, 'certificate'>>().toEqualTypeOf<Omit<ServerConfigInput, '$schema' | 'certificate'>>()
  expectTypeOf<ListenerConfig>().toEqualTypeOf<NonNullable<ServerConfigInput['listeners']>[number]>()
})

test('CertificateConfig is the schema certificate narrowed to its two forms (the cross-field rules check which)', () => {
  expectTypeOf<CertificateConfig>().toExtend<SchemaCertificate>()
  expectTypeOf<keyof (PemCertificateConfig & PfxCertificateConfig & CertificateOptions)>().toEqualTypeOf<
    keyof SchemaCertificate
  >()
  expectTypeOf<Values<PemCertificateConfig & PfxCertificateConfig & CertificateOptions>>().toEqualTypeOf<
    Values<SchemaCertificate>
  >()
})

test('the resolved config holds what the schema output holds, under the same types', () => {
  type Shared = Exclude<keyof ServerConfigOutput, '$schema' | 'ip' | 'port' | 'listeners' | 'listenBacklog'>
  expectTypeOf<Pick<ResolvedServerConfig, Exclude<Shared, 'sendLowWaterMark' | 'certificate'>>>().toEqualTypeOf<
    Readonly<Pick<ServerConfigOutput, Exclude<Shared, 'sendLowWaterMark' | 'certificate'>>>
  >()
  expectTypeOf<ResolvedServerConfig['sendLowWaterMark']>().toEqualTypeOf<number>()
})

test('the defaults are typed as their options', () => {
  expectTypeOf<ServerConfigDefaults['mode']>().toEqualTypeOf<'tcp'>()
  expectTypeOf<ServerConfigDefaults>().not.toHaveProperty('port')
  expectTypeOf<ServerConfigDefaults>().not.toHaveProperty('sendLowWaterMark')
  expectTypeOf<ServerConfigDefaults>().toExtend<
    Required<Omit<ServerConfig, 'port' | 'listeners' | 'certificate' | 'sendLowWaterMark'>>
  >()
})
