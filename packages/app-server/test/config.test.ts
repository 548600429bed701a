import { readFileSync } from 'node:fs'
import { fc, test as propTest } from '@fast-check/vitest'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'
import { serverConfigJsonSchema } from '../scripts/server-config-json-schema.js'
import {
  AppServer,
  ConfigError,
  parseServerConfig,
  type ServerConfig,
  SocketError,
  serverConfigDefaults,
  silentLogFactory,
} from '../src/index.js'
import { resolveServerConfig } from '../src/resolve-server-config.js'

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
      handlerTimeOut: 60_000,
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

  test('an option given as undefined takes its default', () => {
    const config = resolveServerConfig({ port: 0, sendTimeOut: undefined, name: undefined, ip: undefined })
    expect([config.sendTimeOut, config.name, config.listeners[0]?.ip]).toEqual([5_000, 'socketlite', '127.0.0.1'])
  })

  test('fractional idle times are allowed', () => {
    const config = resolveServerConfig({ port: 0, idleSessionTimeOut: 0.25, clearIdleSessionInterval: 0.05 })
    expect([config.idleSessionTimeOut, config.clearIdleSessionInterval]).toEqual([0.25, 0.05])
  })
})

describe('the deadlines and the handshake limit against hostile peers', () => {
  const deadlines = ['frameTimeOut', 'sendStallTimeOut', 'handlerTimeOut'] as const

  test.each(deadlines)('%s: milliseconds, 0 = off, any integer up to what setTimeout accepts', (option) => {
    for (const value of [0, 1, 250, 30_000, 2 ** 31 - 1]) {
      expect(resolveServerConfig({ port: 0, [option]: value })[option], String(value)).toBe(value)
    }
    for (const value of [-1, 0.5, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, '1000', true, null]) {
      expect(paths({ port: 0, [option]: value }), String(value)).toEqual([option])
    }
    expect(resolveServerConfig({ port: 0, [option]: undefined })[option]).toBe(serverConfigDefaults[option])
  })

  test('the defaults: 30 s to complete a frame, 60 s for a stalled reader and for a handler', () => {
    const config = resolveServerConfig({ port: 0 })
    expect([config.frameTimeOut, config.sendStallTimeOut, config.handlerTimeOut]).toEqual([30_000, 60_000, 60_000])
  })

  test('maxPendingHandshakes: a positive integer (there is no "off": the default is 1000)', () => {
    expect(resolveServerConfig({ port: 0 }).maxPendingHandshakes).toBe(1_000)
    for (const value of [1, 50, 1_000_000]) {
      expect(resolveServerConfig({ port: 0, maxPendingHandshakes: value }).maxPendingHandshakes).toBe(value)
    }
    for (const value of [0, -1, 1.5, Number.NaN, '10', false]) {
      expect(paths({ port: 0, maxPendingHandshakes: value }), String(value)).toEqual(['maxPendingHandshakes'])
    }
  })

  test('each is independent of the others and of the other timeouts (all off with a short idle time)', () => {
    const config = resolveServerConfig({
      port: 0,
      frameTimeOut: 0,
      sendStallTimeOut: 0,
      handlerTimeOut: 0,
      idleSessionTimeOut: 0.5,
      closeTimeOut: 0,
      security: 'tls',
      certificate: { pfxFile: 'server.pfx' },
      maxPendingHandshakes: 3,
    })
    expect(config).toMatchObject({
      frameTimeOut: 0,
      sendStallTimeOut: 0,
      handlerTimeOut: 0,
      maxPendingHandshakes: 3,
      idleSessionTimeOut: 0.5,
    })
  })

  test('every bad one is reported at once, with the other bad fields', () => {
    expect(
      paths({ port: 0, frameTimeOut: -5, sendStallTimeOut: 'x', handlerTimeOut: 1.5, maxPendingHandshakes: 0 }).sort(),
    ).toEqual(['frameTimeOut', 'handlerTimeOut', 'maxPendingHandshakes', 'sendStallTimeOut'])
  })

  test('a misspelled deadline is an unknown option, not a silent default', () => {
    expect(issuesOf({ port: 0, frameTimeout: 1_000 })).toEqual([
      { path: '', message: expect.stringContaining('frameTimeout') },
    ])
  })

  test('the AppServer constructor accepts them, and its config holds them', () => {
    const server = new AppServer({
      config: { port: 0, frameTimeOut: 1_000, sendStallTimeOut: 2_000, handlerTimeOut: 0, maxPendingHandshakes: 7 },
      logFactory: silentLogFactory,
    })
    expect(server.config).toMatchObject({
      frameTimeOut: 1_000,
      sendStallTimeOut: 2_000,
      handlerTimeOut: 0,
      maxPendingHandshakes: 7,
    })
    expect(() => new AppServer({ config: { port: 0, handlerTimeOut: -1 }, logFactory: silentLogFactory })).toThrow(
      ConfigError,
    )
  })

  test('the JSON Schema describes each: integer, its minimum, its default, and "0 = off" for the deadlines', () => {
    const properties = (
      serverConfigJsonSchema() as {
        properties: Record<string, { type?: string; minimum?: number; default?: unknown; description?: string }>
      }
    ).properties
    for (const option of deadlines) {
      expect(properties[option], option).toMatchObject({ type: 'integer', minimum: 0 })
      expect(properties[option]?.description, option).toContain('0 = off')
    }
    expect(properties.maxPendingHandshakes).toMatchObject({ type: 'integer', minimum: 1, default: 1_000 })
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
    const nested = issuesOf({ port: 0, certificate: { pfxFile: 'a.pfx', pfx: 'typo' } })
    expect(nested).toEqual([{ path: 'certificate', message: expect.stringContaining('pfx') }])
  })

  test('a listener without ip or port names each missing field', () => {
    expect(paths({ listeners: [{ port: 1 }, { ip: '::1' }] })).toEqual(['listeners.0.ip', 'listeners.1.port'])
  })

  test('whatever is not an object is one issue at the root', () => {
    for (const config of [undefined, null, 5, 'x', [], [{ port: 0 }]]) {
      expect(paths(config), JSON.stringify(config)).toContain('')
    }
    expect(paths([])).toEqual([''])
    expect(paths({ port: 0, security: 'tls', certificate: [] })).toEqual(['certificate'])
    expect(paths({ listeners: [[]] })).toEqual(['listeners.0.ip', 'listeners.0.port'])
  })

  test('NaN and infinities are not numbers the config accepts', () => {
    expect(paths({ port: 0, sendTimeOut: Number.NaN, maxRequestLength: Number.POSITIVE_INFINITY })).toEqual([
      'maxRequestLength',
      'sendTimeOut',
    ])
    expect(paths({ port: 0, keepAliveTime: Number.POSITIVE_INFINITY, idleSessionTimeOut: Number.NaN })).toEqual([
      'idleSessionTimeOut',
      'keepAliveTime',
    ])
  })

  test('exactly one of port or listeners', () => {
    expect(paths({})).toEqual(['port'])
    expect(paths({ port: 1, listeners: [{ ip: '127.0.0.1', port: 2 }] })).toEqual(['listeners'])
    expect(paths({ port: 1, listeners: [] })).toEqual(['listeners'])
    // No listener at all is valid: a server that only connects out (activeConnect).
    expect(resolveServerConfig({ listeners: [] }).listeners).toEqual([])
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

  test('the committed server.schema.json is the one generated from the schema (`pnpm gen:schema` rewrites it)', () => {
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

describe('serverConfigDefaults, the one table of defaults', () => {
  test("they are exactly the documented defaults (the README's config table)", () => {
    expect(serverConfigDefaults).toStrictEqual({
      name: 'socketlite',
      ip: '127.0.0.1',
      listenBacklog: 511,
      mode: 'tcp',
      security: 'none',
      handshakeTimeOut: 10_000,
      maxPendingHandshakes: 1_000,
      maxConnectionNumber: 10_000,
      maxConnectionsPerIp: 0,
      maxRequestLength: 65_536,
      sendTimeOut: 5_000,
      sendHighWaterMark: 65_536,
      closeTimeOut: 5_000,
      frameTimeOut: 30_000,
      sendStallTimeOut: 60_000,
      handlerTimeOut: 60_000,
      clearIdleSession: true,
      idleSessionTimeOut: 300,
      clearIdleSessionInterval: 120,
      keepAliveTime: 600,
      noDelay: true,
      textEncoding: 'utf8',
      logBasicSessionActivity: true,
    })
    // sendLowWaterMark has no fixed default: it is half the high mark.
    expect('sendLowWaterMark' in serverConfigDefaults).toBe(false)
  })

  test('frozen', () => {
    expect(Object.isFrozen(serverConfigDefaults)).toBe(true)
    expect(() => {
      ;(serverConfigDefaults as { port?: number }).port = 1
    }).toThrow(TypeError)
  })

  test("the @default tags of socket-base's ServerConfig (what editors show) say the same", () => {
    // Read the declarations users get (socket-base's built index.d.ts), not its source.
    const declarations = new URL('./index.d.ts', import.meta.resolve('@socketlite/socket-base'))
    const source = ts.createSourceFile('index.d.ts', readFileSync(declarations, 'utf8'), ts.ScriptTarget.ES2022, true)
    const tags = (interfaceName: string): Map<string, string> => {
      const found = new Map<string, string>()
      const visit = (node: ts.Node): void => {
        if (ts.isInterfaceDeclaration(node) && node.name.text === interfaceName) {
          for (const member of node.members) {
            if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue
            for (const tag of ts.getJSDocTags(member)) {
              if (tag.tagName.text === 'default')
                found.set(member.name.text, ts.getTextOfJSDocComment(tag.comment) ?? '')
            }
          }
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
      return found
    }
    const literal = (text: string): unknown => JSON.parse(text.replace(/^'(.*)'$/, '"$1"'))
    const serverTags = tags('ServerConfig')
    expect(serverTags.size).toBeGreaterThan(15)
    for (const [key, value] of Object.entries(serverConfigDefaults)) {
      expect(serverTags.has(key), `@default of ${key}`).toBe(true)
      expect(literal(serverTags.get(key) as string), key).toEqual(value)
    }
    for (const [key, text] of serverTags) {
      if (!(key in serverConfigDefaults)) expect(text, key).not.toMatch(/^('.*'|-?\d+|true|false)$/)
    }
    expect(literal(tags('ListenerConfig').get('backlog') as string)).toBe(serverConfigDefaults.listenBacklog)
  })
})

describe("the README's config table", () => {
  test('lists every option, with the defaults of serverConfigDefaults', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const rows = new Map<string, string>()
    for (const line of readme.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim())
      const option = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1]
      if (option !== undefined && cells.length >= 4) rows.set(option, cells[2] ?? '')
    }
    const schemaOptions = Object.keys(
      (serverConfigJsonSchema() as { properties: Record<string, unknown> }).properties,
    ).filter((key) => key !== '$schema')
    expect([...rows.keys()].filter((key) => schemaOptions.includes(key)).sort()).toEqual([...schemaOptions].sort())
    for (const [key, value] of Object.entries(serverConfigDefaults)) {
      const written = /^`([^`]+)`/.exec(rows.get(key) ?? '')?.[1]
      expect(written, key).toBeDefined()
      expect(JSON.parse((written as string).replace(/^'(.*)'$/, '"$1"')), key).toEqual(value)
    }
  })
})

describe('docs/hardening.md', () => {
  const doc = readFileSync(new URL('../../../docs/hardening.md', import.meta.url), 'utf8')

  test('its configuration for a server exposed to the internet is valid, and sets each per-IP and time limit', () => {
    const block = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1]
    expect(block).toBeDefined()
    const config = resolveServerConfig(parseServerConfig(JSON.parse(block as string)))
    expect(config.maxConnectionsPerIp).toBeGreaterThan(0)
    expect(config.idleSessionTimeOut).toBeLessThan(serverConfigDefaults.idleSessionTimeOut)
    for (const option of ['frameTimeOut', 'sendStallTimeOut', 'handlerTimeOut', 'handshakeTimeOut'] as const) {
      expect(config[option], option).toBeGreaterThan(0)
      expect(config[option], option).toBeLessThanOrEqual(serverConfigDefaults[option])
    }
  })

  test('lists every limit and deadline of the config with its default', () => {
    const rows = new Map<string, string>()
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim())
      for (const name of (cells[1] ?? '').matchAll(/`(\w+)`/g)) rows.set(name[1] as string, cells[2] ?? '')
    }
    const limits = Object.keys(serverConfigDefaults).filter((key) =>
      /TimeOut$|^max|Idle|^sendHighWaterMark$|^keepAliveTime$|^listenBacklog$/.test(key),
    )
    expect(limits.length).toBeGreaterThanOrEqual(14)
    for (const key of limits) {
      expect(rows.has(key), key).toBe(true)
      const value = serverConfigDefaults[key as keyof typeof serverConfigDefaults]
      expect(rows.get(key), key).toContain(`\`${String(value)}\``)
    }
  })
})
