import { CloseReason } from '@socketlite/socket-base'
import { SessionRecorder, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { UdpSocketSession } from '../src/index.js'
import { type BoundSocket, bindUdp, DatagramInbox, sessionDefaults } from './helpers.js'

async function echoSession(server: BoundSocket, client: BoundSocket): Promise<UdpSocketSession> {
  const session = new UdpSocketSession({
    ...sessionDefaults,
    sender: server,
    remoteEndPoint: client.endPoint,
    localEndPoint: server.endPoint,
  })
  onTestFinished(() => withTimeout(session.close(CloseReason.ServerClosing), 3_000, 'the session to close'))
  server.onMessage = (data) => session.receive(data)
  session.start(new SessionRecorder({ echo: session }))
  return session
}

describe.each(['127.0.0.1', '::1'])('UdpSocketSession over real sockets (%s)', (host) => {
  test('keeps datagram boundaries both ways', async () => {
    const server = await bindUdp(host)
    const client = await bindUdp(host)
    const inbox = new DatagramInbox(client)
    await echoSession(server, client)
    const sizes = [1, 0, 1_000, 9_000, 3]
    for (const [index, size] of sizes.entries()) client.send(Buffer.alloc(size, index), server.endPoint, () => {})
    const received = await inbox.waitFor(sizes.length)
    expect(received.map((datagram) => datagram.length)).toEqual(sizes)
    expect(received.map((datagram) => datagram[0])).toEqual([0, undefined, 2, 3, 4])
  })

  test('sends a datagram of exactly the largest payload and refuses one byte more', async () => {
    const server = await bindUdp(host)
    const client = await bindUdp(host)
    const inbox = new DatagramInbox(client)
    const session = await echoSession(server, client)
    const limit = host === '::1' ? 65_527 : 65_507
    expect(session.maxDatagramSize).toBe(limit)
    expect(session.trySend(Buffer.alloc(limit + 1))).toBe(false)
    expect(session.trySend(Buffer.alloc(limit, 7))).toBe(true)
    const [datagram] = await inbox.waitFor(1)
    expect(datagram?.length).toBe(limit)
  })

  test('follows a peer that moved to another endpoint', async () => {
    const server = await bindUdp(host)
    const before = await bindUdp(host)
    const after = await bindUdp(host)
    const beforeInbox = new DatagramInbox(before)
    const afterInbox = new DatagramInbox(after)
    const session = await echoSession(server, before)
    before.send(Buffer.from('one'), server.endPoint, () => {})
    expect((await beforeInbox.waitFor(1)).map(String)).toEqual(['one'])
    session.updateRemoteEndPoint(after.endPoint)
    after.send(Buffer.from('two'), server.endPoint, () => {})
    expect((await afterInbox.waitFor(1)).map(String)).toEqual(['two'])
    expect(beforeInbox.datagrams).toHaveLength(1)
  })
})
