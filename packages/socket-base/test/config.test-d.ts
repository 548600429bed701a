import { expectTypeOf, test } from 'vitest'
import type {
  CertificateConfig,
  ListenerConfig,
  ListenerInfo,
  ResolvedServerConfig,
  ServerConfig,
} from '../src/index.js'

test("API.md's example objects are ServerConfigs", () => {
  const readme = { ip: '127.0.0.1', port: 2020 } satisfies ServerConfig
  const full = {
    name: 'game',
    ip: 'Any',
    port: 0,
    listenBacklog: 511,
    mode: 'tcp',
    security: 'tls',
    certificate: { certFile: 'cert.pem', keyFile: 'key.pem', caFile: 'ca.pem', clientCertificateRequired: true },
    handshakeTimeOut: 10_000,
    maxPendingHandshakes: 1_000,
    maxConnectionNumber: 10_000,
    maxConnectionsPerIp: 0,
    maxRequestLength: 65_536,
    sendTimeOut: 5_000,
    sendHighWaterMark: 65_536,
    sendLowWaterMark: 32_768,
    closeTimeOut: 5_000,
    frameTimeOut: 30_000,
    sendStallTimeOut: 60_000,
    handlerTimeOut: 0,
    clearIdleSession: true,
    idleSessionTimeOut: 0.5,
    clearIdleSessionInterval: 0.1,
    keepAliveTime: 600,
    noDelay: true,
    textEncoding: 'utf8',
    logBasicSessionActivity: false,
  } satisfies ServerConfig
  const listeners = {
    listeners: [
      { ip: '127.0.0.1', port: 2020 },
      { ip: 'IPv6Any', port: 2021, backlog: 100, security: 'tls' },
    ],
    certificate: { pfxFile: 'server.pfx', passphrase: 'secret', minVersion: 'TLSv1.3' },
  } satisfies ServerConfig
  const udp = { mode: 'udp', ip: '::1', port: 0 } satisfies ServerConfig
  expectTypeOf(readme).toExtend<ServerConfig>()
  expectTypeOf(full).toExtend<ServerConfig>()
  expectTypeOf(listeners).toExtend<ServerConfig>()
  expectTypeOf(udp).toExtend<ServerConfig>()
  expectTypeOf({}).toExtend<ServerConfig>() // every field is optional in the type; resolution checks port/listeners
  // An option left undefined takes its default, as the schema in app-server does (`{ port, sendTimeOut: undefined }`).
  expectTypeOf({ port: 0, sendTimeOut: undefined }).toExtend<ServerConfig>()
})

test('wrong ServerConfigs are rejected', () => {
  // @ts-expect-error port is a number
  const portAsString: ServerConfig = { port: '2020' }
  // @ts-expect-error mode is 'tcp' or 'udp'
  const badMode: ServerConfig = { port: 1, mode: 'http' }
  // @ts-expect-error security is 'none' or 'tls'
  const badSecurity: ServerConfig = { port: 1, security: 'ssl' }
  // @ts-expect-error unknown option (SuperSocket's SendingQueueSize is replaced by sendHighWaterMark)
  const unknownOption: ServerConfig = { port: 1, sendingQueueSize: 5 }
  // @ts-expect-error a listener needs a port
  const listenerWithoutPort: ServerConfig = { listeners: [{ ip: '127.0.0.1' }] }
  // @ts-expect-error a listener's security is 'none' or 'tls'
  const listenerBadSecurity: ServerConfig = { listeners: [{ ip: '127.0.0.1', port: 1, security: 'dtls' }] }
  // @ts-expect-error textEncoding is a Node Buffer encoding
  const badEncoding: ServerConfig = { port: 1, textEncoding: 'utf-32' }
  // @ts-expect-error clearIdleSession is a boolean
  const badFlag: ServerConfig = { port: 1, clearIdleSession: 'yes' }
  // @ts-expect-error deadlines are numbers of milliseconds (0 = off), not booleans
  const badDeadline: ServerConfig = { port: 1, handlerTimeOut: false }
  // @ts-expect-error SuperSocket-style spelling is not accepted: the option is frameTimeOut
  const misspelled: ServerConfig = { port: 1, frameTimeout: 1_000 }
  void [
    portAsString,
    badMode,
    badSecurity,
    unknownOption,
    listenerWithoutPort,
    listenerBadSecurity,
    badEncoding,
    badFlag,
    badDeadline,
    misspelled,
  ]
})

test('a certificate is PEM files or a PFX file, plus the shared options', () => {
  expectTypeOf({ certFile: 'c', keyFile: 'k' }).toExtend<CertificateConfig>()
  expectTypeOf({ pfxFile: 'p' }).toExtend<CertificateConfig>()
  // @ts-expect-error a PEM certificate needs its key file
  const certWithoutKey: CertificateConfig = { certFile: 'c' }
  // @ts-expect-error TLS 1.1 is not accepted
  const oldTls: CertificateConfig = { pfxFile: 'p', minVersion: 'TLSv1.1' }
  // @ts-expect-error neither form
  const nothing: CertificateConfig = { caFile: 'ca.pem' }
  void [certWithoutKey, oldTls, nothing]
})

test('ListenerConfig, ListenerInfo and the resolved config', () => {
  expectTypeOf<ListenerConfig>().toHaveProperty('ip').toEqualTypeOf<string>()
  expectTypeOf<ListenerInfo>().toEqualTypeOf<{
    readonly ip: string
    readonly port: number
    readonly family: 'IPv4' | 'IPv6'
    readonly security: 'none' | 'tls'
    readonly mode: 'tcp' | 'udp'
  }>()
  expectTypeOf<ResolvedServerConfig['sendLowWaterMark']>().toEqualTypeOf<number>()
  expectTypeOf<
    Pick<ResolvedServerConfig, 'frameTimeOut' | 'sendStallTimeOut' | 'handlerTimeOut' | 'maxPendingHandshakes'>
  >().toEqualTypeOf<{
    readonly frameTimeOut: number
    readonly sendStallTimeOut: number
    readonly handlerTimeOut: number
    readonly maxPendingHandshakes: number
  }>()
  expectTypeOf<ResolvedServerConfig['certificate']>().toEqualTypeOf<Readonly<CertificateConfig> | undefined>()
})
