import net from 'node:net'
import { deferred, listenTcp, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  AppServer,
  CloseReason,
  ListenError,
  ServerState,
  ServerStateError,
  SocketError,
  silentLogFactory,
} from '../src/index.js'
import { connect, LineReader, next, startServer } from './helpers.js'

/** A port that was free a moment ago (bound and released). */
async function freePort(): Promise<number> {
  const probe = await listenTcp()
  const port = probe.port
  await probe.close()
  return port
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)))
  })
}

describe('start', () => {
  test('binds several listeners (IPv4 and IPv6 loopback) and resolves with their actual endpoints', async () => {
    const server = new AppServer({
      config: {
        listeners: [
          { ip: '127.0.0.1', port: 0 },
          { ip: '::1', port: 0 },
        ],
      },
      logFactory: silentLogFactory,
    })
    server.on('newRequestReceived', (session, request) => {
      session.trySend(`${request.key} ${session.localEndPoint.family} ${session.remoteEndPoint.family}\r\n`)
    })
    expect(server.state).toBe(ServerState.NotStarted)
    const started = next(server, 'started')
    const listeners = await server.start()
    onTestFinished(() => server.stop())
    await started
    expect(server.state).toBe(ServerState.Running)
    expect(server.startedTime).toBeInstanceOf(Date)
    expect(listeners).toEqual([
      { ip: '127.0.0.1', port: expect.any(Number), family: 'IPv4', security: 'none', mode: 'tcp' },
      { ip: '::1', port: expect.any(Number), family: 'IPv6', security: 'none', mode: 'tcp' },
    ])
    expect(server.endpoints).toEqual(listeners)
    for (const listener of listeners) {
      expect(listener.port).toBeGreaterThan(0)
      const client = await connect(listener.port, listener.ip)
      const lines = new LineReader(client)
      client.write('HI\r\n')
      expect(await lines.next()).toBe(`HI ${listener.family} ${listener.family}`)
    }
  })

  test('one endpoint taken: rejects with ListenError, leaves nothing bound, state back to NotStarted', async () => {
    const taken = await listenTcp()
    onTestFinished(() => taken.close())
    const free = await freePort()
    const server = new AppServer({
      config: {
        listeners: [
          { ip: '127.0.0.1', port: free },
          { ip: '127.0.0.1', port: taken.port },
        ],
      },
      logFactory: silentLogFactory,
    })
    const error = await server.start().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ListenError)
    expect((error as ListenError).code).toBe('ERR_LISTEN_FAILED')
    expect(((error as ListenError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE')
    expect(server.state).toBe(ServerState.NotStarted)
    expect(server.endpoints).toEqual([])
    expect(await canBind(free)).toBe(true)
    // B22: the instance stays usable once the endpoint is free.
    await taken.close()
    await server.start()
    expect(server.state).toBe(ServerState.Running)
    await server.stop()
  })

  test('start in any state but NotStarted rejects with ServerStateError', async () => {
    const server = new AppServer({ config: { port: 0 }, logFactory: silentLogFactory })
    const starting = server.start()
    expect(server.state).toBe(ServerState.Starting)
    const whileStarting = await server.start().catch((error: unknown) => error)
    expect(whileStarting).toBeInstanceOf(ServerStateError)
    await starting
    onTestFinished(() => server.stop())
    const whileRunning = await server.start().catch((error: unknown) => error)
    expect(SocketError.isSocketError(whileRunning) && whileRunning.code).toBe('ERR_SERVER_STATE')
  })
})

describe('stop', () => {
  test('is a no-op unless running', async () => {
    const server = new AppServer({ config: { port: 0 }, logFactory: silentLogFactory })
    let stopped = 0
    server.on('stopped', () => stopped++)
    await server.stop()
    await server.stop()
    expect(stopped).toBe(0)
    expect(server.state).toBe(ServerState.NotStarted)
  })

  test('closes every session with ServerShutdown and resolves after the last sessionClosed and the listeners', async () => {
    const { server, port } = await startServer()
    const events: string[] = []
    server.on('newSessionConnected', (session) => {
      events.push('connected')
      session.trySend('HELLO\r\n')
    })
    server.on('sessionClosed', (_session, reason) => events.push(`closed ${reason}`))
    server.on('stopped', () => events.push('stopped'))
    const clients = await Promise.all([connect(port), connect(port), connect(port)])
    const readers = clients.map((client) => new LineReader(client))
    for (const reader of readers) expect(await reader.next()).toBe('HELLO')
    expect(server.sessionCount).toBe(3)
    const stopping = server.stop()
    expect(server.state).toBe(ServerState.Stopping)
    expect(server.stop()).toBe(stopping)
    await stopping
    expect(events).toEqual([
      'connected',
      'connected',
      'connected',
      `closed ${CloseReason.ServerShutdown}`,
      `closed ${CloseReason.ServerShutdown}`,
      `closed ${CloseReason.ServerShutdown}`,
      'stopped',
    ])
    expect(server.state).toBe(ServerState.NotStarted)
    expect(server.sessionCount).toBe(0)
    expect(server.endpoints).toEqual([])
    for (const reader of readers) await reader.closed()
    expect(await canBind(port)).toBe(true)
  })

  test('a stopped server starts again', async () => {
    const { server, port } = await startServer()
    server.on('newRequestReceived', (session, request) => session.trySend(`${request.body}\r\n`))
    await server.stop()
    const [again] = await server.start()
    expect(again?.port).toBeGreaterThan(0)
    expect(server.state).toBe(ServerState.Running)
    const client = await connect(again?.port ?? port)
    const lines = new LineReader(client)
    client.write('ECHO again\r\n')
    expect(await lines.next()).toBe('again')
  })

  test('Symbol.asyncDispose stops the server', async () => {
    const server = new AppServer({ config: { port: 0 }, logFactory: silentLogFactory })
    await server.start()
    const stopped = next(server, 'stopped')
    await server[Symbol.asyncDispose]()
    await stopped
    expect(server.state).toBe(ServerState.NotStarted)
  })

  test('a connection accepted while stopping is closed, not leaked (B24)', async () => {
    const entered = deferred()
    const verdict = deferred<boolean>()
    const { server, port } = await startServer({
      connectionFilters: [
        {
          name: 'slow',
          allowConnect: () => {
            entered.resolve()
            return verdict.promise
          },
        },
      ],
    })
    let connected = 0
    server.on('newSessionConnected', () => connected++)
    const client = await connect(port)
    const closed = next(client, 'close')
    await withTimeout(entered.promise)
    const stopping = server.stop()
    verdict.resolve(true)
    await stopping
    await closed
    expect(connected).toBe(0)
    expect(server.getStats().rejected.notRunning).toBe(1)
  })
})
