import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { AppSession, CloseReason, closeReasonName } from '../src/index.js'
import { connect, LineReader, next, startServer } from './helpers.js'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('AppSession members', () => {
  test('ids, endpoints, times, items, state', async () => {
    const { server, port } = await startServer()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    expect(session.sessionId).toMatch(uuid)
    expect(session.server).toBe(server)
    expect(session.config).toBe(server.config)
    expect(session.logger).toBe(server.logger)
    expect(session.remoteEndPoint).toEqual({ address: '127.0.0.1', port: client.localPort, family: 'IPv4' })
    expect(session.localEndPoint).toEqual({ address: '127.0.0.1', port, family: 'IPv4' })
    expect(session.startTime).toBeInstanceOf(Date)
    expect(session.lastActiveTime.getTime()).toBe(session.startTime.getTime())
    expect(session.connected).toBe(true)
    expect(session.closeReason).toBeUndefined()
    expect(session.secure).toBe(false)
    expect(session.tls).toBeUndefined()
    session.items.set('user', 'ada')
    expect(session.items.get('user')).toBe('ada')
    const closed = next(server, 'sessionClosed')
    await session.close(CloseReason.TimeOut)
    await closed
    expect(session.connected).toBe(false)
    expect(session.closeReason).toBe(CloseReason.TimeOut)
  })

  test('lastActiveTime moves on receive, not on send (idle = nothing received)', async () => {
    const { server, port } = await startServer()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    const start = session.lastActiveTime.getTime()
    const lines = new LineReader(client)
    // Move the clock (only Date is faked; sockets and timers are real), then send: lastActiveTime stays.
    vi.useFakeTimers({ toFake: ['Date'], now: start + 1_000 })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    expect(session.trySend('PUSH\r\n')).toBe(true)
    expect(await lines.next()).toBe('PUSH')
    expect(session.lastActiveTime.getTime()).toBe(start)
    const request = next(server, 'newRequestReceived')
    client.write('PING\r\n')
    await request
    expect(session.lastActiveTime.getTime()).toBe(start + 1_000)
  })

  test('getSessionById is case-insensitive; unknown or empty ids give undefined; the views are live', async () => {
    const { server, port } = await startServer()
    expect(server.getAllSessions()).toEqual([])
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    expect(server.getSessionById(session.sessionId)).toBe(session)
    expect(server.getSessionById(session.sessionId.toUpperCase())).toBe(session)
    expect(server.getSessionById('')).toBeUndefined()
    expect(server.getSessionById('00000000-0000-4000-8000-000000000000')).toBeUndefined()
    expect(server.getAllSessions()).toEqual([session])
    expect(server.getSessions((candidate) => candidate.remoteEndPoint.port === client.localPort)).toEqual([session])
    expect(server.getSessions(() => false)).toEqual([])
    expect(server.sessionCount).toBe(1)
    const closed = next(server, 'sessionClosed')
    client.end()
    await closed
    expect(server.getAllSessions()).toEqual([])
    expect(server.getSessionById(session.sessionId)).toBeUndefined()
    expect(server.sessionCount).toBe(0)
  })

  test('hooks of a subclass run in order around the events', async () => {
    const order: string[] = []
    class Hooked extends AppSession {
      override onInit(): void {
        order.push(`onInit ${this.connected}`)
      }
      override async onSessionStarted(): Promise<void> {
        order.push('onSessionStarted')
        await new Promise((resolve) => setImmediate(resolve))
        order.push('onSessionStarted settled')
      }
      override onSessionClosed(reason: CloseReason): void {
        order.push(`onSessionClosed ${closeReasonName(reason)}`)
      }
    }
    const { server, port } = await startServer({ sessionClass: Hooked }, (server) => {
      server.on('newSessionConnected', (session) => {
        order.push(`newSessionConnected ${session instanceof Hooked}`)
      })
      server.on('newRequestReceived', (_session, request) => {
        order.push(`request ${request.key}`)
      })
      server.on('sessionClosed', () => order.push('sessionClosed'))
    })
    const closed = next(server, 'sessionClosed')
    const client = await connect(port)
    client.end('GO\r\n')
    await closed
    expect(order).toEqual([
      'onInit false',
      'onSessionStarted',
      'newSessionConnected true',
      'onSessionStarted settled',
      'request GO',
      'onSessionClosed ClientClosing',
      'sessionClosed',
    ])
  })

  test('a session closed from onInit still gets exactly one connected and one closed event', async () => {
    class Early extends AppSession {
      override onInit(): void {
        void this.close()
      }
    }
    const events: string[] = []
    const { server, port } = await startServer({ sessionClass: Early }, (server) => {
      server.on('newSessionConnected', (session) => events.push(`connected ${session.connected}`))
      server.on('sessionClosed', (_session, reason) => events.push(`closed ${closeReasonName(reason)}`))
    })
    const closed = next(server, 'sessionClosed')
    const client = await connect(port)
    client.write('IGNORED\r\n')
    await closed
    expect(events).toEqual(['connected false', 'closed ServerClosing'])
  })

  test('setNextReceiveFilter switches framing from the next byte on', async () => {
    const { FixedSizeReceiveFilter } = await import('@socketlite/protocol')
    const seen: string[] = []
    const { server, port } = await startServer<{ key: string; body?: unknown }>({}, (server) => {
      server.on('newRequestReceived', (session, request) => {
        if (request.key === 'BINARY') {
          session.setNextReceiveFilter(new FixedSizeReceiveFilter({ size: 4 }) as never)
          seen.push('switch')
        } else seen.push(request.body instanceof Uint8Array ? `bytes ${Buffer.from(request.body)}` : request.key)
      })
    })
    const client = await connect(port)
    const closed = next(server, 'sessionClosed')
    client.write('LINE\r\nBINARY\r\nabcdefgh')
    client.end('ijkl')
    await closed
    expect(seen).toEqual(['LINE', 'switch', 'bytes abcd', 'bytes efgh', 'bytes ijkl'])
  })
})

describe('close reasons', () => {
  async function reasonFor(act: (session: AppSession, client: import('node:net').Socket) => void, config = {}) {
    const { server, port } = await startServer({ config })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    act(session, client)
    const [closedSession, reason] = await closed
    expect(closedSession).toBe(session)
    expect(session.closeReason).toBe(reason)
    return closeReasonName(reason)
  }

  test('peer FIN → ClientClosing', async () => {
    expect(await reasonFor((_session, client) => client.end())).toBe('ClientClosing')
  })

  test('peer reset → SocketError', async () => {
    expect(await reasonFor((_session, client) => client.resetAndDestroy())).toBe('SocketError')
  })

  test('session.close() → ServerClosing', async () => {
    expect(await reasonFor((session) => void session.close())).toBe('ServerClosing')
  })

  test('the first reason wins; close() again resolves the same way and emits nothing twice', async () => {
    const { server, port } = await startServer()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    await connect(port)
    const [session] = await connected
    let closedEvents = 0
    server.on('sessionClosed', () => closedEvents++)
    const closed = next(server, 'sessionClosed')
    const first = session.close(CloseReason.TimeOut)
    const second = session.close(CloseReason.ServerClosing)
    await Promise.all([first, second])
    await closed
    await session.close(CloseReason.SocketError)
    await new Promise((resolve) => setImmediate(resolve))
    expect(session.closeReason).toBe(CloseReason.TimeOut)
    expect(closedEvents).toBe(1)
  })
})
