import { expect, test } from 'vitest'
import { serverConfigDefaults } from '../src/index.js'

test("serverConfigDefaults are exactly API.md's table", () => {
  expect(serverConfigDefaults).toStrictEqual({
    name: 'socketlite',
    ip: '127.0.0.1',
    listenBacklog: 511,
    mode: 'tcp',
    security: 'none',
    handshakeTimeOut: 10_000,
    maxConnectionNumber: 10_000,
    maxConnectionsPerIp: 0,
    maxRequestLength: 65_536,
    sendTimeOut: 5_000,
    sendHighWaterMark: 65_536,
    closeTimeOut: 5_000,
    clearIdleSession: true,
    idleSessionTimeOut: 300,
    clearIdleSessionInterval: 120,
    keepAliveTime: 600,
    noDelay: true,
    textEncoding: 'utf8',
    logBasicSessionActivity: true,
  })
})

test('sendLowWaterMark has no fixed default (it is half the high mark), so it is absent', () => {
  expect('sendLowWaterMark' in serverConfigDefaults).toBe(false)
})

test('serverConfigDefaults is frozen', () => {
  expect(Object.isFrozen(serverConfigDefaults)).toBe(true)
  expect(() => {
    ;(serverConfigDefaults as { port?: number }).port = 1
  }).toThrow(TypeError)
})
