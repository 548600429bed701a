import * as protocol from '@socketlite/protocol'
import { expect, test } from 'vitest'
import * as appServer from '../src/index.js'

// A user who installed only @socketlite/app-server writes a server, a custom receive filter and its factory with
// imports from this package alone (with pnpm, '@socketlite/protocol' is not even resolvable from their code).

/** Protocol exports that are plumbing of the server, not something an app writes against. */
const notForApps = new Set(['ReceivePipeline'])

test('every receive filter, factory, base class and request type of the protocol layer is re-exported as is', () => {
  const missing: string[] = []
  for (const [name, value] of Object.entries(protocol)) {
    if (notForApps.has(name)) continue
    if ((appServer as Record<string, unknown>)[name] !== value) missing.push(name)
  }
  expect(missing).toEqual([])
  expect(appServer.CommandLineReceiveFilterFactory).toBe(protocol.CommandLineReceiveFilterFactory)
})

test('config plumbing is not part of the public surface', () => {
  for (const name of [
    'serverConfigSchema',
    'serverConfigFieldSchema',
    'serverConfigCrossFieldSchema',
    'serverConfigJsonSchema',
    'resolveServerConfig',
  ]) {
    expect(name in appServer, name).toBe(false)
  }
  // What the echo server's --config needs stays: validation without defaults, and the defaults table.
  expect(typeof appServer.parseServerConfig).toBe('function')
  expect('port' in appServer.serverConfigDefaults).toBe(false)
  expect(appServer.serverConfigDefaults.maxRequestLength).toBe(65_536)
})

test('server plumbing is not part of the public surface', () => {
  for (const name of [
    'SessionHost',
    'createTransport',
    'TcpTransport',
    'TlsTransport',
    'UdpTransport',
    'ServerEndpoints',
    'Admission',
    'RequestRouter',
    'Dispatcher',
    'StreamDispatcher',
    'DatagramDispatcher',
    'ListenerAwareEmitter',
    'kServerContext',
  ]) {
    expect(name in appServer, name).toBe(false)
  }
  // What users write against stays.
  for (const name of ['AppServer', 'AppSession', 'CloseReason', 'closeReasonName', 'SocketError']) {
    expect(name in appServer, name).toBe(true)
  }
})

test('the errors a server hands to app code are re-exported as is, HandlerTimeoutError included', async () => {
  const base = await import('@socketlite/socket-base')
  for (const name of [
    'SocketError',
    'ConfigError',
    'SessionClosedError',
    'SendTimeoutError',
    'ProtocolError',
    'TlsHandshakeError',
    'HandlerTimeoutError',
  ] as const) {
    expect((appServer as Record<string, unknown>)[name], name).toBe(base[name])
  }
  expect(new appServer.HandlerTimeoutError().code).toBe('ERR_HANDLER_TIMEOUT')
})
