import { once } from 'node:events'
import { CloseReason, silentLogFactory } from '@socketlite/app-server'
import { expect, onTestFinished, test } from 'vitest'
import { createUdpSessionIdServer, type UdpSessionIdServerOptions } from '../src/server.js'
import { encodeUdpPacket } from '../src/udp-packet.js'
import { udpClient } from './udp-client.js'

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

async function startServer(options: Partial<UdpSessionIdServerOptions> = {}) {
  const server = createUdpSessionIdServer({ port: 0, logFactory: silentLogFactory, ...options })
  const [endpoint] = await server.start()
  onTestFinished(() => server.stop())
  return { server, port: endpoint?.port ?? 0 }
}

test('ECHO answers in the request layout; the session is named by the id in the datagram', async () => {
  const { server, port } = await startServer()
  const client = await udpClient(port)
  client.send(encodeUdpPacket('ECHO', id(1), 'hello, 세계'))
  expect(await client.next()).toEqual({ key: 'ECHO', sessionId: id(1), value: 'hello, 세계' })
  expect(server.getSessionById(id(1))?.sessionId).toBe(id(1))
  expect(server.sessionCount).toBe(1)
})

test('roaming: the same id from another address is the same session, and every reply follows the new address', async () => {
  const { server, port } = await startServer()
  const home = await udpClient(port)
  const away = await udpClient(port)
  home.send(encodeUdpPacket('ECHO', id(7), 'from home'))
  expect((await home.next()).value).toBe('from home')
  home.send(encodeUdpPacket('STAT', id(7), ''))
  expect((await home.next()).value).toBe(`2 127.0.0.1:${home.port}`)

  away.send(encodeUdpPacket('STAT', id(7), ''))
  expect((await away.next()).value).toBe(`3 127.0.0.1:${away.port}`) // same session: its count goes on
  expect(server.sessionCount).toBe(1)
  const session = server.getSessionById(id(7))
  expect(session?.remoteEndPoint.port).toBe(away.port)
  expect(session?.trySend(encodeUdpPacket('PUSH', id(7), 'sent by the server'))).toBe(true)
  expect(await away.next()).toEqual({ key: 'PUSH', sessionId: id(7), value: 'sent by the server' })
  expect(home.received).toHaveLength(0)
})

test('different ids from one address are different sessions', async () => {
  const { server, port } = await startServer()
  const client = await udpClient(port)
  client.send(encodeUdpPacket('STAT', id(1), ''))
  expect((await client.next()).sessionId).toBe(id(1))
  client.send(encodeUdpPacket('STAT', id(2), ''))
  expect(await client.next()).toMatchObject({ sessionId: id(2), value: `1 127.0.0.1:${client.port}` })
  expect(server.sessionCount).toBe(2)
})

test('a datagram shorter than the header is dropped; the session lives on', async () => {
  const { server, port } = await startServer()
  const client = await udpClient(port)
  client.send(encodeUdpPacket('ECHO', id(3), 'first'))
  expect((await client.next()).value).toBe('first')
  client.send(Buffer.from('ECHO too short'))
  client.send(encodeUdpPacket('STAT', id(3), ''))
  expect((await client.next()).value).toBe(`2 127.0.0.1:${client.port}`) // the short one never became a request
  expect(server.sessionCount).toBe(1)
})

test('UDP has no FIN: a session ends when it has been idle for idleSessionTimeOut', async () => {
  const { server, port } = await startServer({ idleSessionTimeOut: 0.2 })
  const client = await udpClient(port)
  client.send(encodeUdpPacket('ECHO', id(4), 'hi'))
  const closed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
  await client.next()
  expect(server.sessionCount).toBe(1)
  const [session, reason] = await closed
  expect([session.sessionId, reason]).toEqual([id(4), CloseReason.TimeOut])
  expect(server.sessionCount).toBe(0)
  client.send(encodeUdpPacket('STAT', id(4), ''))
  expect((await client.next()).value).toBe(`1 127.0.0.1:${client.port}`) // a new session with the same id
})
