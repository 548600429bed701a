import { describe, expect, test } from 'vitest'
import { type AppSession, CloseReason } from '../src/index.js'
import { connect, LineReader, next, RecordingLogFactory, startServer } from './helpers.js'

const idleConfig = { idleSessionTimeOut: 0.2, clearIdleSessionInterval: 0.05 }

describe('idle sessions', () => {
  test('a silent client is closed with TimeOut, even with a logger whose info level is off (B1)', async () => {
    const quiet = new RecordingLogFactory(false)
    const { server, port } = await startServer({ config: idleConfig, logFactory: quiet })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const clientClosed = next(client, 'close')
    const [session] = await connected
    const [closedSession, reason] = await next<[AppSession, CloseReason]>(server, 'sessionClosed')
    expect(closedSession).toBe(session)
    expect(reason).toBe(CloseReason.TimeOut)
    await clientClosed
  })

  test('a client that keeps sending is never closed; server pushes do not count as activity', async () => {
    const { server, port } = await startServer({ config: idleConfig }, (server) => {
      server.on('newRequestReceived', (session, request) => session.trySend(`${request.key}\r\n`))
    })
    const talker = await connect(port)
    const talkerLines = new LineReader(talker)
    const listener = await connect(port)
    const listenerPort = listener.localPort
    const listenerLines = new LineReader(listener)
    const closed: string[] = []
    const pushed = setInterval(() => server.broadcast('PUSH\r\n'), 20)
    server.on('sessionClosed', (session, reason) => {
      closed.push(`${session.remoteEndPoint.port} ${reason}`)
    })
    const timedOut = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    // The talker sends a request every 50 ms (well under the 200 ms idle time-out) for about 0.6 s.
    for (let round = 0; round < 12; round++) {
      talker.write(`PING${round}\r\n`)
      let line = await talkerLines.next()
      while (line === 'PUSH') line = await talkerLines.next()
      expect(line).toBe(`PING${round}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const [session, reason] = await timedOut
    clearInterval(pushed)
    expect(session.remoteEndPoint.port).toBe(listenerPort)
    expect(reason).toBe(CloseReason.TimeOut)
    expect((await listenerLines.closed()).every((line) => line === 'PUSH')).toBe(true)
    expect(closed).toEqual([`${listenerPort} ${CloseReason.TimeOut}`])
    expect(server.getAllSessions().map((candidate) => candidate.remoteEndPoint.port)).toEqual([talker.localPort])
  })

  test('clearIdleSession: false keeps silent sessions', async () => {
    const { server, port } = await startServer({ config: { ...idleConfig, clearIdleSession: false } })
    const other = await startServer({ config: idleConfig })
    await connect(port)
    const client = await connect(other.port)
    const clientClosed = next(client, 'close')
    // By the time the other server's idle session is cleared, this one's would have been too.
    await next(other.server, 'sessionClosed')
    await clientClosed
    expect(server.sessionCount).toBe(1)
  })
})
