import { readFileSync } from 'node:fs'
import { describe, expect, test, vi } from 'vitest'
import {
  ClusterUnavailableError,
  ConfigError,
  ConnectError,
  DatagramTooLargeError,
  HandlerTimeoutError,
  InternalError,
  InvalidArgumentError,
  ListenError,
  ProtocolError,
  RequestTimeoutError,
  SendTimeoutError,
  ServerStateError,
  SessionClosedError,
  SocketError,
  type SocketErrorCode,
  socketErrorBrand,
  TlsHandshakeError,
} from '../src/index.js'

/** Every code of the `SocketErrorCode` union, read from the source so a new code cannot be forgotten here. */
function declaredCodes(): string[] {
  const source = readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8')
  const union = /export type SocketErrorCode =([\s\S]*?)\n\n/.exec(source)?.[1] ?? ''
  return [...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((match) => match[1] as string)
}

const cause = new Error('the system error')

/** One construction of every class, for every code it can carry. */
const cases: { name: string; code: SocketErrorCode; make: (options?: { cause?: unknown }) => SocketError }[] = [
  { name: 'SocketError', code: 'ERR_INTERNAL', make: (o) => new SocketError('ERR_INTERNAL', 'base', o) },
  {
    name: 'ConfigError',
    code: 'ERR_INVALID_CONFIG',
    make: (o) => new ConfigError([{ path: 'port', message: 'x' }], o),
  },
  { name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT', make: (o) => new InvalidArgumentError('bad', o) },
  { name: 'ServerStateError', code: 'ERR_SERVER_STATE', make: (o) => new ServerStateError('running', o) },
  { name: 'ListenError', code: 'ERR_LISTEN_FAILED', make: (o) => new ListenError('in use', o) },
  { name: 'ConnectError', code: 'ERR_CONNECT_FAILED', make: (o) => new ConnectError('failed', o) },
  {
    name: 'ConnectError',
    code: 'ERR_CONNECTION_REFUSED',
    make: (o) => new ConnectError('refused', { ...o, code: 'ERR_CONNECTION_REFUSED' }),
  },
  { name: 'SessionClosedError', code: 'ERR_SESSION_CLOSED', make: (o) => new SessionClosedError(undefined, o) },
  { name: 'SendTimeoutError', code: 'ERR_SEND_TIMEOUT', make: (o) => new SendTimeoutError(undefined, o) },
  { name: 'RequestTimeoutError', code: 'ERR_REQUEST_TIMEOUT', make: (o) => new RequestTimeoutError(undefined, o) },
  { name: 'DatagramTooLargeError', code: 'ERR_DATAGRAM_TOO_LARGE', make: (o) => new DatagramTooLargeError('big', o) },
  { name: 'ProtocolError', code: 'ERR_PROTOCOL', make: (o) => new ProtocolError('malformed', o) },
  {
    name: 'ProtocolError',
    code: 'ERR_REQUEST_TOO_LARGE',
    make: (o) => new ProtocolError('too large', { ...o, code: 'ERR_REQUEST_TOO_LARGE' }),
  },
  { name: 'TlsHandshakeError', code: 'ERR_TLS_HANDSHAKE', make: (o) => new TlsHandshakeError('handshake', o) },
  {
    name: 'HandlerTimeoutError',
    code: 'ERR_HANDLER_TIMEOUT',
    make: (o) => new HandlerTimeoutError(undefined, o),
  },
  {
    name: 'ClusterUnavailableError',
    code: 'ERR_CLUSTER_UNAVAILABLE',
    make: (o) => new ClusterUnavailableError(undefined, o),
  },
  { name: 'InternalError', code: 'ERR_INTERNAL', make: (o) => new InternalError('bug', o) },
]

describe('error classes', () => {
  test.each(cases)('$name ($code): code, name, brand, cause', ({ name, code, make }) => {
    const error = make({ cause })
    expect(error.code).toBe(code)
    expect(error.name).toBe(name)
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(SocketError)
    expect(error[socketErrorBrand]).toBe(true)
    expect(SocketError.isSocketError(error)).toBe(true)
    expect(error.cause).toBe(cause)
    expect(typeof error.message).toBe('string')
    expect(error.stack).toContain(name)
  })

  test.each(cases)('$name ($code) without a cause has no cause property', ({ make }) => {
    const error = make()
    expect('cause' in error).toBe(false)
    expect(error.cause).toBeUndefined()
  })

  test('a cause that is not an Error (an issue list, a string) is kept as given', () => {
    const issues = [{ path: 'port', message: 'required' }]
    expect(new ListenError('x', { cause: issues }).cause).toBe(issues)
    expect(new InternalError('x', { cause: 'text' }).cause).toBe('text')
  })

  test('every code of SocketErrorCode is produced by some class, and no class produces another', () => {
    const declared = declaredCodes()
    expect(declared.length).toBeGreaterThanOrEqual(16)
    expect(new Set(cases.map((entry) => entry.code))).toEqual(new Set(declared))
  })

  test('docs/errors.md has a row for every code', () => {
    const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    for (const code of declaredCodes()) expect(docs).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, 'm'))
  })
})

describe('ConfigError', () => {
  test('lists every issue, in order, and names each bad field in the message', () => {
    const issues = [
      { path: 'port', message: 'must be an integer from 0 to 65535' },
      { path: 'listeners.1.ip', message: 'required' },
      { path: '', message: 'exactly one of port or listeners' },
    ]
    const error = new ConfigError(issues)
    expect(error.issues).toEqual(issues)
    expect(error.issues.map((issue) => issue.path)).toEqual(['port', 'listeners.1.ip', ''])
    expect(error.message).toContain('port')
    expect(error.message).toContain('listeners.1.ip')
  })

  test('an empty issue list is allowed', () => {
    expect(new ConfigError([]).issues).toEqual([])
  })
})

describe('SocketError.isSocketError', () => {
  const brand = Symbol.for('@socketlite/socket-base/error')

  test('the exported brand is the registered Symbol.for key', () => {
    expect(socketErrorBrand).toBe(brand)
  })

  test('accepts errors of a second copy of the package (same Symbol.for brand, other classes)', async () => {
    vi.resetModules() // the next import evaluates errors.ts again: a second copy with its own classes
    const copy = await import('../src/errors.js')
    const foreign = new copy.SessionClosedError()
    expect(copy.SocketError).not.toBe(SocketError)
    expect(foreign).not.toBeInstanceOf(SocketError)
    expect(SocketError.isSocketError(foreign)).toBe(true)
    expect(copy.SocketError.isSocketError(new SendTimeoutError())).toBe(true)
  })

  test('accepts a hand-built look-alike class that carries the registered brand and a code', () => {
    class OtherCopyError extends Error {
      readonly [brand] = true
      constructor(readonly code: string) {
        super('from another copy')
      }
    }
    expect(SocketError.isSocketError(new OtherCopyError('ERR_SESSION_CLOSED'))).toBe(true)
    expect(SocketError.isSocketError({ [brand]: true, code: 'ERR_SEND_TIMEOUT' })).toBe(true)
  })

  test.each([
    ['a plain Error', new Error('plain')],
    ['an Error with an ERR_ code but no brand', Object.assign(new Error('x'), { code: 'ERR_SESSION_CLOSED' })],
    ['a Node system error', Object.assign(new Error('x'), { code: 'ECONNRESET', errno: -104 })],
    ['an unregistered symbol of the same description', { [Symbol('@socketlite/socket-base/error')]: true, code: 'X' }],
    ['a brand that is not exactly true', { [brand]: 'true', code: 'ERR_INTERNAL' }],
    ['a brand without a string code', { [brand]: true }],
    ['a brand with a numeric code', { [brand]: true, code: 5 }],
    ['a string property named like the brand', { '@socketlite/socket-base/error': true, code: 'ERR_INTERNAL' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ERR_INTERNAL'],
    ['a number', 42],
  ])('rejects %s', (_label, value) => {
    expect(SocketError.isSocketError(value)).toBe(false)
  })

  test('narrows unknown values so code can be matched', () => {
    const caught: unknown = new SendTimeoutError()
    if (!SocketError.isSocketError(caught)) throw new Error('expected a socket error')
    expect(caught.code).toBe('ERR_SEND_TIMEOUT')
  })
})
