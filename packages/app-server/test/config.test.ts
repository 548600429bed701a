import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import {
  AppServer,
  ConfigError,
  parseServerConfig,
  resolveServerConfig,
  type ServerConfig,
  SocketError,
  serverConfigDefaults,
  serverConfigJsonSchema,
  silentLogFactory,
} from '../src/index.js'

function issuesOf(config: unknown): { path: string; message: string }[] {
  try {
    resolveServerConfig(config as ServerConfig)
  } catch (error) {
    expect(SocketError.isSocketError(error)).toBe(true)
    expect((error as ConfigError).code).toBe('ERR_INVALID_CONFIG')
    return [...(error as ConfigError).issues]
  }
  throw new Error('expected a ConfigError')
}

function paths(config: unknown): string[] {
  return issuesOf(config).map((issue) => issue.path)
}

describe('resolveServerConfig', () => {
  test('fills in every documented default and folds port into listeners', () => {
    const config = resolveServerConfig({ port: 0 })
    expect(config).toEqual({
      name: 'socketlite',
      mode: 'tcp',
      security: 'none',
      listeners: [{ ip: '127.0.0.1', port: 0, backlog: 511, security: 'none' }],
      certificate: undefined,
      handshakeTimeOut: 10_000,
      maxConnectionNumber: 10_000,
      maxConnectionsPerIp: 0,
      maxRequestLength: 65_536,
      sendTimeOut: 5_000,
      sendHighWaterMark: 65_536,
      sendLowWaterMark: 32_768,
      closeTimeOut: 5_000,
      clearIdleSession: true,
      idleSessionTimeOut: 300,
      clearIdleSessionInterval: 120,
      keepAliveTime: 600,
      noDelay: true,
      textEncoding: 'utf8',
      logBasicSessionActivity: true,
    })
    for (const [key, value] of Object.entries(serverConfigDefaults)) {
      if (key === 'ip' || key === 'listenBacklog') continue
      expect(config[key as keyof typeof config], key).toEqual(value)
    }
  })

  test('the result is deeply frozen', () => {
    const config = resolveServerConfig({
      listeners: [{ ip: '127.0.0.1', port: 0 }],
      certificate: { certFile: 'c.pem', keyFile: 'k.pem' },
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.listeners)).toBe(true)
    expect(Object.isFrozen(config.listeners[0])).toBe(true)
    expect(Object.isFrozen(config.certificate)).toBe(true)
    expect(() => {
      ;(config as { name: string }).name = 'x'
    }).toThrow(TypeError)
  })

  test("'Any' is 0.0.0.0 and 'IPv6Any' is ::, for ip and for each listener", () => {
    expect(resolveServerConfig({ ip: 'Any', port: 1 }).listeners[0]?.ip).toBe('0.0.0.0')
    expect(resolveServerConfig({ ip: 'IPv6Any', port: 1 }).listeners[0]?.ip).toBe('::')
    const config = resolveServerConfig({
      listeners: [
        { ip: 'Any', port: 1 },
        { ip: 'IPv6Any', port: 2 },
        { ip: '::1', port: 3 },
      ],
    })
    expect(config.listeners.map((listener) => listener.ip)).toEqual(['0.0.0.0', '::', '::1'])
  })

  test('listeners inherit listenBacklog and security unless they override them', () => {
    const config = resolveServerConfig({
      listenBacklog: 64,
      security: 'tls',
      certificate: { pfxFile: 'server.pfx' },
      listeners: [
        { ip: '127.0.0.1', port: 0 },
        { ip: '127.0.0.1', port: 0, backlog: 8, security: 'none' },
      ],
    })
    expect(config.listeners).toEqual([
      { ip: '127.0.0.1', port: 0, backlog: 64, security: 'tls' },
      { ip: '127.0.0.1', port: 0, backlog: 8, security: 'none' },
    ])
  })

  test('sendLowWaterMark defaults to half the high mark (floored)', () => {
    expect(resolveServerConfig({ port: 0, sendHighWaterMark: 1001 }).sendLowWaterMark).toBe(500)
    expect(resolveServerConfig({ port: 0, sendHighWaterMark: 10, sendLowWaterMark: 10 }).sendLowWaterMark).toBe(10)
  })

  test('fractional idle times are allowed', () => {
    const config = resolveServerConfig({ port: 0, idleSessionTimeOut: 0.25, clearIdleSessionInterval: 0.05 })
    expect([config.idleSessionTimeOut, config.clearIdleSessionInterval]).toEqual([0.25, 0.05])
  })
})

describe('ConfigError', () => {
  test('lists every bad field at once, with its path', () => {
    const found = paths({
      port: 80.5,
      listeners: [{ ip: 'localhost', port: 70_000, backlog: 0, security: 'ssl' }],
      ip: '1.2.3.4.5',
      maxConnectionNumber: 0,
      maxConnectionsPerIp: -1,
      maxRequestLength: 'big',
      sendHighWaterMark: 10,
      sendLowWaterMark: 20,
      mode: 'sctp',
      textEncoding: 'ebcdic',
      idleSessionTimeOut: 0,
      noDelay: 'yes',
      maxConectionNumber: 5,
    })
    for (const path of [
      'port',
      'listeners',
      'listeners.0.ip',
      'listeners.0.port',
      'listeners.0.backlog',
      'listeners.0.security',
      'ip',
      'maxConnectionNumber',
      'maxConnectionsPerIp',
      'maxRequestLength',
      'sendLowWaterMark',
      'mode',
      'textEncoding',
      'idleSessionTimeOut',
      'noDelay',
      '',
    ]) {
      expect(found, path).toContain(path)
    }
    const unknown = issuesOf({ port: 0, maxConectionNumber: 5 })
    expect(unknown).toEqual([{ path: '', message: expect.stringContaining('maxConectionNumber') }])
  })

  test('exactly one of port or listeners', () => {
    expect(paths({})).toEqual(['port'])
    expect(paths({ port: 1, listeners: [{ ip: '127.0.0.1', port: 2 }] })).toEqual(['listeners'])
    expect(paths({ listeners: [] })).toEqual(['listeners'])
  })

  test('ip goes with port, not with listeners', () => {
    expect(paths({ ip: '127.0.0.1', listeners: [{ ip: '127.0.0.1', port: 2 }] })).toEqual(['ip'])
  })

  test('a TLS listener needs a certificate; TLS is not available over UDP', () => {
    expect(paths({ port: 0, security: 'tls' })).toEqual(['certificate'])
    expect(paths({ listeners: [{ ip: '127.0.0.1', port: 0, security: 'tls' }] })).toEqual(['certificate'])
    expect(paths({ port: 0, mode: 'udp', security: 'tls', certificate: { pfxFile: 'a.pfx' } })).toEqual(['security'])
    expect(paths({ port: 0, certificate: {} })).toEqual(['certificate'])
    expect(paths({ port: 0, certificate: { certFile: 'a.pem' } })).toEqual(['certificate.keyFile'])
    expect(paths({ port: 0, certificate: { certFile: 'a.pem', keyFile: 'k.pem', pfxFile: 'a.pfx' } })).toEqual([
      'certificate',
    ])
    expect(paths({ port: 0, certificate: { pfxFile: 'a.pfx', clientCertificateRequired: true } })).toEqual([
      'certificate.caFile',
    ])
  })

  test('two listeners on the same fixed endpoint', () => {
    expect(
      paths({
        listeners: [
          { ip: 'Any', port: 2020 },
          { ip: '0.0.0.0', port: 2020 },
        ],
      }),
    ).toEqual(['listeners.1'])
  })

  test('timers cannot overflow setTimeout', () => {
    expect(paths({ port: 0, closeTimeOut: 2 ** 31 })).toEqual(['closeTimeOut'])
    expect(paths({ port: 0, clearIdleSessionInterval: 3e6 })).toEqual(['clearIdleSessionInterval'])
  })

  test('the AppServer constructor throws it', () => {
    expect(() => new AppServer({ config: { port: -1 }, logFactory: silentLogFactory })).toThrow(ConfigError)
    expect(() => new AppServer({ config: undefined as unknown as ServerConfig })).toThrow(ConfigError)
  })

  propTest.prop([fc.integer({ min: 1, max: 1 << 20 }), fc.integer({ min: 0, max: 1 << 20 })])(
    'water marks: rejected exactly when low > high, naming sendLowWaterMark',
    (high, low) => {
      const config = { port: 0, sendHighWaterMark: high, sendLowWaterMark: low }
      if (low > high) expect(paths(config)).toEqual(['sendLowWaterMark'])
      else expect(resolveServerConfig(config).sendLowWaterMark).toBe(low)
    },
  )

  propTest.prop([fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.double(), fc.string())])(
    'port: accepted exactly when it is an integer from 0 to 65535',
    (port) => {
      const valid = typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65_535
      if (valid) expect(resolveServerConfig({ port: port as number }).listeners[0]?.port).toBe(port)
      else expect(paths({ port })).toContain('port')
    },
  )
})

describe('parseServerConfig and the JSON Schema', () => {
  test('parseServerConfig validates without filling defaults and drops $schema', () => {
    const input = { $schema: './server.schema.json', port: 0, name: 'x' }
    expect(parseServerConfig(input)).toEqual({ port: 0, name: 'x' })
    expect(() => parseServerConfig({ port: 0, name: '' })).toThrow(ConfigError)
  })

  test('the committed server.schema.json is the one generated from the zod schema', () => {
    const committed = JSON.parse(readFileSync(new URL('../server.schema.json', import.meta.url), 'utf8'))
    expect(committed).toEqual(serverConfigJsonSchema())
  })

  test('the JSON Schema knows every ServerConfig option and its default', () => {
    const schema = serverConfigJsonSchema() as {
      properties: Record<string, { default?: unknown }>
      additionalProperties: boolean
      oneOf: unknown[]
    }
    expect(schema.additionalProperties).toBe(false)
    expect(schema.oneOf).toHaveLength(2)
    for (const [key, value] of Object.entries(serverConfigDefaults)) {
      expect(schema.properties[key]?.default, key).toEqual(value)
    }
    for (const key of ['port', 'listeners', 'certificate', 'sendLowWaterMark', '$schema']) {
      expect(schema.properties[key], key).toBeDefined()
    }
  })
})
