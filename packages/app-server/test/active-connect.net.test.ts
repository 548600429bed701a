import { deferred, listenTcp } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  AppServer,
  type AppSession,
  CloseReason,
  ConnectError,
  ServerState,
  ServerStateError,
  type StringRequestInfo,
  silentLogFactory,
} from '../src/index.js'
import { connect, next, startServer } from './helpers.js'

async function echoPeer() {
  const peer = await listenTcp((socket) => socket.pipe(socket))
  onTestFinished(() => peer.close())
  return peer
}

describe('activeConnect', () => {
  test('an outbound connection becomes an ordinary session: events, filter, send path, close reason', async () => {
    const peer = await echoPeer()
    const { server } = await startServer()
    const events: string[] = []
    server.on('newSessionConnected', (session) => events.push(`connected ${session.remoteEndPoint.port}`))
    const request = next<[AppSession, StringRequestInfo]>(server, 'newRequestReceived')
    const session = await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    expect(events).toEqual([`connected ${peer.port}`])
    expect(server.getSessionById(session.sessionId)).toBe(session)
    expect(session.trySend('ECHO from afar\r\n')).toBe(true)
    const [from, echoed] = await request
    expect(from).toBe(session)
    expect([echoed.key, echoed.body]).toEqual(['ECHO', 'from afar'])
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    for (const socket of peer.sockets) socket.end()
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ClientClosing)
  })

  test('limits apply: a connection over maxConnectionNumber is refused with ERR_CONNECTION_REFUSED', async () => {
    const peer = await echoPeer()
    const { server, port } = await startServer({ config: { maxConnectionNumber: 1 } })
    const connected = next(server, 'newSessionConnected')
    await connect(port)
    await connected
    const error = await server.activeConnect({ host: '127.0.0.1', port: peer.port }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConnectError)
    expect((error as ConnectError).code).toBe('ERR_CONNECTION_REFUSED')
    expect(server.getStats().rejected.maxConnectionNumber).toBe(1)
  })

  test('a failed connection rejects with ERR_CONNECT_FAILED and the system error as cause', async () => {
    const probe = await listenTcp()
    const closedPort = probe.port
    await probe.close()
    const { server } = await startServer()
    const error = await server.activeConnect({ host: '127.0.0.1', port: closedPort }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConnectError)
    expect((error as ConnectError).code).toBe('ERR_CONNECT_FAILED')
    expect(((error as ConnectError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  test('an aborted attempt rejects with ERR_CONNECT_FAILED', async () => {
    const peer = await echoPeer()
    const { server } = await startServer()
    const controller = new AbortController()
    controller.abort(new Error('changed my mind'))
    await expect(
      server.activeConnect({ host: '127.0.0.1', port: peer.port, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED' })
  })

  test('only while running; bad arguments throw', async () => {
    const server = new AppServer({ config: { port: 0 }, logFactory: silentLogFactory })
    await expect(server.activeConnect({ host: '127.0.0.1', port: 1 })).rejects.toBeInstanceOf(ServerStateError)
    await server.start()
    onTestFinished(() => server.stop())
    await expect(server.activeConnect({ host: '', port: 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(server.activeConnect({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
  })

  test('an outbound session says so: outbound true, no listener; an accepted one: outbound false, its listener', async () => {
    const peer = await echoPeer()
    const { server, port } = await startServer()
    const accepted = next<[AppSession]>(server, 'newSessionConnected')
    await connect(port)
    const [inbound] = await accepted
    expect(inbound.outbound).toBe(false)
    expect(inbound.listener).toBe(server.endpoints[0])
    const session = await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    expect(session.outbound).toBe(true)
    expect(session.listener).toBeUndefined()
    // Plain values (own data properties), not accessors.
    for (const name of ['listener', 'outbound']) {
      const descriptor = Object.getOwnPropertyDescriptor(session, name)
      expect(descriptor !== undefined && 'value' in descriptor && descriptor.get === undefined).toBe(true)
    }
  })

  test('newSessionConnected of an outbound session fires before activeConnect resolves', async () => {
    const peer = await echoPeer()
    const { server } = await startServer()
    const order: string[] = []
    const settled = deferred()
    server.on('newSessionConnected', async (session) => {
      order.push(`connected ${session.outbound}`)
      // An asynchronous connect handler is not awaited by activeConnect; the requests wait for it as usual.
      await settled.promise
      order.push('connect handler settled')
    })
    server.on('newRequestReceived', (_session, request) => void order.push(`request ${request.key}`))
    const session = await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    order.push('activeConnect resolved')
    const request = next(server, 'newRequestReceived')
    session.trySend('PING\r\n')
    settled.resolve()
    await request
    expect(order).toEqual(['connected true', 'activeConnect resolved', 'connect handler settled', 'request PING'])
  })

  test('server.stop() closes outbound sessions with ServerShutdown', async () => {
    const peer = await echoPeer()
    const { server } = await startServer()
    await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    await server.stop()
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ServerShutdown)
  })
})

describe('a server with listeners: [] (connect-only)', () => {
  test('starts with no endpoint, serves only the sessions it connects out, and stops', async () => {
    const peer = await echoPeer()
    const server = new AppServer({ config: { listeners: [] }, logFactory: silentLogFactory })
    onTestFinished(() => server.stop())
    server.on('newRequestReceived', (session, request) => {
      if (request.key === 'PONG') session.items.set('pong', request.body)
    })
    expect(await server.start()).toEqual([])
    expect(server.state).toBe(ServerState.Running)
    expect(server.endpoints).toEqual([])
    const request = next<[AppSession, StringRequestInfo]>(server, 'newRequestReceived')
    const session = await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    expect(session.outbound).toBe(true)
    session.trySend('PONG back\r\n')
    const [, received] = await request
    expect(received.body).toBe('back')
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    await server.stop()
    expect((await closed)[1]).toBe(CloseReason.ServerShutdown)
    expect(server.state).toBe(ServerState.NotStarted)
    expect(server.sessionCount).toBe(0)
    // And again.
    expect(await server.start()).toEqual([])
    await server.stop()
  })

  test('in UDP mode it has no socket to send from: activeConnect fails with ERR_CONNECT_FAILED', async () => {
    const server = new AppServer({ config: { listeners: [], mode: 'udp' }, logFactory: silentLogFactory })
    onTestFinished(() => server.stop())
    await server.start()
    await expect(server.activeConnect({ host: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      code: 'ERR_CONNECT_FAILED',
    })
  })
})
