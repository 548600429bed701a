import net from 'node:net'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import type { AppSession } from '../src/index.js'
import { connect, LineReader, next, saturate, startServer } from './helpers.js'

async function sessions(count: number, port: number, server: NodeJS.EventEmitter) {
  const clients: { socket: net.Socket; lines: LineReader; session: AppSession }[] = []
  for (let index = 0; index < count; index++) {
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const socket = await connect(port)
    const [session] = await connected
    clients.push({ socket, lines: new LineReader(socket), session })
  }
  return clients
}

describe('broadcast', () => {
  test('sends to every matching session and returns how many accepted', async () => {
    const { server, port } = await startServer()
    const clients = await sessions(3, port, server)
    clients[0]?.session.items.set('room', 'a')
    clients[1]?.session.items.set('room', 'a')
    expect(server.broadcast('ALL\r\n')).toBe(3)
    expect(server.broadcast(Buffer.from('ROOM\r\n'), (session) => session.items.get('room') === 'a')).toBe(2)
    for (const client of clients) expect(await client.lines.next()).toBe('ALL')
    expect(await clients[0]?.lines.next()).toBe('ROOM')
    expect(await clients[1]?.lines.next()).toBe('ROOM')
    expect(server.getStats().bytesOut).toBe(3 * 5 + 2 * 6)
  })

  test('skips a session whose queue is full; the others still get it', async () => {
    const { server, port } = await startServer({ config: { sendHighWaterMark: 16_384 } })
    const [slow, fast] = await sessions(2, port, server)
    if (slow === undefined || fast === undefined) throw new Error('no sessions')
    slow.socket.pause()
    await saturate(slow.session)
    const refused = server.getStats().trySendRefused
    expect(server.broadcast('NEWS\r\n')).toBe(1)
    expect(await fast.lines.next()).toBe('NEWS')
    expect(server.getStats().trySendRefused).toBe(refused + 1)
  })
})

describe('socket options and endpoints', () => {
  test('noDelay and keep-alive are applied to accepted sockets (B3)', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay')
    const keepAlive = vi.spyOn(net.Socket.prototype, 'setKeepAlive')
    onTestFinished(() => {
      noDelay.mockRestore()
      keepAlive.mockRestore()
    })
    const { server, port } = await startServer({ config: { keepAliveTime: 30, noDelay: true } })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    await connect(port)
    await connected
    expect(noDelay).toHaveBeenCalledWith(true)
    expect(keepAlive).toHaveBeenCalledWith(true, 30_000)
  })

  test('keepAliveTime 0 turns keep-alive off; noDelay false keeps Nagle', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay')
    const keepAlive = vi.spyOn(net.Socket.prototype, 'setKeepAlive')
    onTestFinished(() => {
      noDelay.mockRestore()
      keepAlive.mockRestore()
    })
    const { server, port } = await startServer({ config: { keepAliveTime: 0, noDelay: false } })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    await connect(port)
    await connected
    expect(noDelay).toHaveBeenCalledWith(false)
    expect(keepAlive).toHaveBeenCalledWith(false, 0)
  })

  test('an IPv6 (::1) listener works', async () => {
    const { server } = await startServer({ config: { ip: '::1' } }, (server) => {
      server.on('newRequestReceived', (session, request) => session.trySend(`${request.key}\r\n`))
    })
    const [listener] = server.endpoints
    expect(listener).toMatchObject({ ip: '::1', family: 'IPv6' })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(listener?.port ?? 0, '::1')
    const [session] = await connected
    expect(session.remoteEndPoint).toEqual({ address: '::1', port: client.localPort, family: 'IPv6' })
    const lines = new LineReader(client)
    client.write('V6\r\n')
    expect(await lines.next()).toBe('V6')
  })
})

describe('getStats', () => {
  test('counts sessions, accepted, rejected by cause, closed by reason, requests, bytes and refusals', async () => {
    const { server, port } = await startServer({ config: { maxConnectionNumber: 2 } }, (server) => {
      server.on('newRequestReceived', (session, request) => {
        if (request.key === 'BYE') void session.close()
        else session.trySend(`${request.key}\r\n`)
      })
    })
    const [first, second] = await sessions(2, port, server)
    const refused = await connect(port)
    await next(refused, 'close')
    first?.socket.write('HELLO\r\n')
    expect(await first?.lines.next()).toBe('HELLO')
    const closed = next(server, 'sessionClosed')
    second?.socket.write('BYE\r\n')
    await closed
    const secondGone = next(server, 'sessionClosed')
    first?.socket.end()
    await secondGone
    expect(server.getStats()).toEqual({
      sessions: 0,
      accepted: 2,
      pendingHandshakes: 0,
      rejected: {
        total: 1,
        maxConnectionNumber: 1,
        maxConnectionsPerIp: 0,
        connectionFilter: 0,
        acceptError: 0,
        notRunning: 0,
        handshake: 0,
        maxPendingHandshakes: 0,
      },
      closed: {
        Unknown: 0,
        ServerShutdown: 0,
        ClientClosing: 1,
        ServerClosing: 1,
        ApplicationError: 0,
        SocketError: 0,
        TimeOut: 0,
        ProtocolError: 0,
        InternalError: 0,
      },
      requests: 2,
      bytesIn: 'HELLO\r\n'.length + 'BYE\r\n'.length,
      bytesOut: 'HELLO\r\n'.length,
      trySendRefused: 0,
      sendTimeouts: 0,
      handlerTimeouts: 0,
      frameTimeouts: 0,
      sendStalls: 0,
      dispatchYields: 0,
      listenerErrors: 0,
      datagramsDropped: 0,
      datagramErrors: 0,
      // The reply was coalesced into a pooled chunk, given back once written.
      sendPool: { chunkSize: 16_384, maxChunks: 2_048, chunks: 1, inUse: 0, overflows: 0 },
      // The in-process adapter (no adapter given): nothing published, nothing crosses a process.
      cluster: {
        connected: true,
        published: 0,
        received: 0,
        missed: 0,
        dropped: 0,
        subscriptions: 0,
        reconnects: 0,
        unavailable: 0,
      },
    })
  })
})
