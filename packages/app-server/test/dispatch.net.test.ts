import { deferred, readUntilEnd, withTimeout } from '@socketlite/testing'
import { describe, expect, test } from 'vitest'
import { type AppSession, CloseReason, closeReasonName, type StringRequestInfo } from '../src/index.js'
import { connect, LineReader, logged, next, RecordingLogFactory, startServer, until } from './helpers.js'

function closedWith(server: NodeJS.EventEmitter): Promise<CloseReason> {
  return next<[AppSession, CloseReason]>(server, 'sessionClosed').then(([, reason]) => reason)
}

describe('events of a session', () => {
  test('one newSessionConnected, the requests in arrival order, one sessionClosed', async () => {
    const events: string[] = []
    const { server, port } = await startServer({}, (server) => {
      server.on('newSessionConnected', async (session) => {
        events.push(`connected ${session.connected}`)
        // An asynchronous connect handler holds the requests back until it settles.
        await new Promise((resolve) => setImmediate(resolve))
        events.push('connected settled')
      })
      server.on('newRequestReceived', (_session, request) => {
        events.push(`request ${request.key} ${request.body}`)
      })
      server.on('sessionClosed', (session, reason) =>
        events.push(`closed ${closeReasonName(reason)} ${session.connected}`),
      )
    })
    const client = await connect(port)
    const closed = next(server, 'sessionClosed')
    client.write('A 1\r\nB 2\r')
    client.write('\nC 3\r\n')
    client.end()
    await closed
    expect(events).toEqual([
      'connected true',
      'connected settled',
      'request A 1',
      'request B 2',
      'request C 3',
      'closed ClientClosing false',
    ])
  })

  test('async handlers run one at a time per session while other sessions go on', async () => {
    const gate = deferred()
    const slowStarted = deferred()
    const log: string[] = []
    const { port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session, request) => {
        log.push(`start ${request.key}`)
        if (request.key === 'SLOW') slowStarted.resolve()
        if (request.key === 'SLOW') await gate.promise
        log.push(`end ${request.key}`)
        session.trySend(`${request.key}\r\n`)
      })
    })
    const slow = await connect(port)
    const slowLines = new LineReader(slow)
    const fast = await connect(port)
    const fastLines = new LineReader(fast)
    slow.write('SLOW\r\nAFTER\r\n')
    await withTimeout(slowStarted.promise)
    fast.write('F1\r\nF2\r\n')
    expect(await fastLines.take(2)).toEqual(['F1', 'F2'])
    expect(log).not.toContain('start AFTER')
    gate.resolve()
    expect(await slowLines.take(2)).toEqual(['SLOW', 'AFTER'])
    expect(log.indexOf('end SLOW')).toBeLessThan(log.indexOf('start AFTER'))
  })

  test('sessionClosed waits for the handler still running', async () => {
    const gate = deferred()
    const entered = deferred()
    const events: string[] = []
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async () => {
        events.push('handler start')
        entered.resolve()
        await gate.promise
        events.push('handler end')
      })
      server.on('sessionClosed', (_session, reason) => events.push(`closed ${closeReasonName(reason)}`))
    })
    const client = await connect(port)
    client.write('WORK\r\n')
    await withTimeout(entered.promise)
    const closed = next(server, 'sessionClosed')
    client.resetAndDestroy()
    expect(events).toEqual(['handler start'])
    gate.resolve()
    await closed
    expect(events).toEqual(['handler start', 'handler end', 'closed SocketError'])
  })

  test('with several listeners, each may be asynchronous; the next request waits for all', async () => {
    const order: string[] = []
    const { port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (_session, request) => {
        await new Promise((resolve) => setImmediate(resolve))
        order.push(`first ${request.key}`)
      })
      server.on('newRequestReceived', (session, request) => {
        order.push(`second ${request.key}`)
        if (request.key === 'B') session.trySend('DONE\r\n')
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('A\r\nB\r\n')
    expect(await lines.next()).toBe('DONE')
    expect(order).toEqual(['second A', 'first A', 'second B'])
  })
})

describe('handler errors', () => {
  test('a throwing handler: handleException logs and closes with ApplicationError', async () => {
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer({ logFactory: logs }, (server) => {
      server.on('newRequestReceived', (_session, request) => {
        if (request.key === 'BOOM') throw new Error('boom')
      })
    })
    const client = await connect(port)
    const closed = closedWith(server)
    client.write('OK\r\nBOOM\r\nNEVER\r\n')
    expect(await closed).toBe(CloseReason.ApplicationError)
    expect(logs.at('error').some((record) => (record.fields?.err as Error)?.message === 'boom')).toBe(true)
    expect(server.getStats().requests).toBe(2)
  })

  test('a rejecting handler: ApplicationError too', async () => {
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async () => {
        await Promise.resolve()
        throw new Error('later')
      })
    })
    const client = await connect(port)
    const closed = closedWith(server)
    client.write('X\r\n')
    expect(await closed).toBe(CloseReason.ApplicationError)
  })

  test('a throwing connect handler goes to handleException as well', async () => {
    const { server, port } = await startServer({}, (server) => {
      server.on('newSessionConnected', () => {
        throw new Error('no')
      })
    })
    const closed = closedWith(server)
    await connect(port)
    expect(await closed).toBe(CloseReason.ApplicationError)
  })

  test('a subclass may handle the error and keep the session open', async () => {
    const { AppSession } = await import('../src/index.js')
    class Forgiving extends AppSession {
      override handleException(error: unknown): void {
        this.trySend(`ERR ${(error as Error).message}\r\n`)
      }
    }
    const { port } = await startServer({ sessionClass: Forgiving }, (server) => {
      server.on('newRequestReceived', (session, request) => {
        if (request.key === 'BAD') throw new Error('bad request')
        session.trySend(`OK ${request.key}\r\n`)
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('BAD\r\nGOOD\r\n')
    expect(await lines.take(2)).toEqual(['ERR bad request', 'OK GOOD'])
  })

  test('no newRequestReceived listener: requests are dropped with one warning; the session lives', async () => {
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer({ logFactory: logs }, (server) => {
      server.on('newSessionConnected', (session) => session.trySend('HI\r\n'))
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    expect(await lines.next()).toBe('HI')
    client.write('A\r\nB\r\nC\r\n')
    await logged(logs, (record) => record.level === 'warn' && record.message.includes('newRequestReceived'))
    expect(server.getStats().requests).toBe(3)
    // A request handler attached now sees the next request: the earlier ones were dropped, not queued.
    const seen = next<[AppSession, StringRequestInfo]>(server, 'newRequestReceived')
    client.write('E\r\n')
    const [, request] = await seen
    expect(request.key).toBe('E')
    expect(logs.at('warn').filter((record) => record.message.includes('newRequestReceived'))).toHaveLength(1)
    expect(server.sessionCount).toBe(1)
  })
})

describe('dispatch stops when the session closes', () => {
  test('close() in a handler: requests already parsed from the same chunk are not dispatched (B8)', async () => {
    const seen: string[] = []
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session, request) => {
        seen.push(request.key)
        if (request.key === 'QUIT') await session.close()
      })
    })
    const client = await connect(port)
    const closed = closedWith(server)
    client.write('A\r\nQUIT\r\nB\r\nC\r\n')
    expect(await closed).toBe(CloseReason.ServerClosing)
    expect(seen).toEqual(['A', 'QUIT'])
  })

  test('requests before a framing error are dispatched, nothing after it', async () => {
    const seen: string[] = []
    const { server, port } = await startServer({ config: { maxRequestLength: 32 } }, (server) => {
      server.on('newRequestReceived', (_session, request) => {
        seen.push(request.key)
      })
    })
    const client = await connect(port)
    const closed = closedWith(server)
    client.write(`ONE\r\nTWO\r\n${'x'.repeat(40)}\r\nTHREE\r\n`)
    expect(await closed).toBe(CloseReason.ProtocolError)
    expect(seen).toEqual(['ONE', 'TWO'])
  })

  test('a frame of exactly maxRequestLength is accepted, one byte more is a ProtocolError', async () => {
    const seen: number[] = []
    const { server, port } = await startServer({ config: { maxRequestLength: 16 } }, (server) => {
      server.on('newRequestReceived', (session, request) => {
        seen.push(request.key.length)
        session.trySend('OK\r\n')
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write(`${'a'.repeat(14)}\r\n`)
    expect(await lines.next()).toBe('OK')
    const closed = closedWith(server)
    client.write(`${'b'.repeat(15)}\r\n`)
    expect(await closed).toBe(CloseReason.ProtocolError)
    expect(seen).toEqual([14])
  })

  test("bytes that arrived before the peer's FIN are dispatched before sessionClosed(ClientClosing)", async () => {
    const seen: string[] = []
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (_session, request) => {
        await new Promise((resolve) => setImmediate(resolve))
        seen.push(request.key)
      })
    })
    const client = await connect(port)
    const closed = closedWith(server)
    client.end('R1\r\nR2\r\nR3\r\nR4\r\n')
    expect(await closed).toBe(CloseReason.ClientClosing)
    expect(seen).toEqual(['R1', 'R2', 'R3', 'R4'])
  })
})

describe("the peer's FIN (printf 'ECHO x\\r\\n' | nc -N host port)", () => {
  test('the replies of asynchronous handlers to the requests sent before the FIN still reach the client', async () => {
    const sendable: boolean[] = []
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session, request) => {
        await until(() => !session.connected, "the peer's FIN")
        sendable.push(session.connected)
        if (request.key === 'TRY') sendable.push(session.trySend(`${request.body}\r\n`))
        else await session.send(`${request.body}\r\n`)
      })
    })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const client = await connect(port)
    const replies = readUntilEnd(client)
    client.end('ECHO x\r\nTRY y\r\nECHO z\r\n')
    // The client reads the three replies, then the server's end of the connection.
    expect((await replies).toString()).toBe('x\r\ny\r\nz\r\n')
    const [session, reason] = await closed
    expect(reason).toBe(CloseReason.ClientClosing)
    expect(session.closeReason).toBe(CloseReason.ClientClosing)
    // Not "connected" once the peer ended, but still sending; trySend accepted.
    expect(sendable).toEqual([false, false, true, false])
  })

  test('once the last of those handlers settled, sending stops and the connection closes with ClientClosing', async () => {
    const gate = deferred()
    let held: AppSession | undefined
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session) => {
        held = session
        await gate.promise
        session.trySend('LAST\r\n')
      })
    })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const client = await connect(port)
    const replies = readUntilEnd(client)
    client.end('WAIT\r\n')
    await withTimeout(
      new Promise<void>((resolve) => client.once('finish', resolve)),
      2_000,
      'the client ended its side',
    )
    gate.resolve()
    expect((await replies).toString()).toBe('LAST\r\n')
    const [session, reason] = await closed
    expect(session).toBe(held)
    expect(reason).toBe(CloseReason.ClientClosing)
    expect(session.trySend('AFTER\r\n')).toBe(false)
    await expect(session.send('AFTER\r\n')).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED' })
  })

  test('a handler that closes the session after the FIN keeps ClientClosing as the reason (the FIN came first)', async () => {
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session) => {
        await until(() => !session.connected, "the peer's FIN")
        session.trySend('BYE\r\n')
        await session.close()
      })
    })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const client = await connect(port)
    const replies = readUntilEnd(client)
    client.end('QUIT\r\nNEVER\r\n')
    expect((await replies).toString()).toBe('BYE\r\n')
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ClientClosing)
  })
})
