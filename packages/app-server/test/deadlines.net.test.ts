import { deferred } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { AppSession, CloseReason, SocketError } from '../src/index.js'
import { connect, LineReader, next, startServer, until } from './helpers.js'
import { udpClient } from './udp-helpers.js'

// The deadlines of docs/hardening.md that the server enforces (handlerTimeOut, frameTimeOut, sendStallTimeOut), and
// stop() with handlers still running: short configured values, every wait on an event.

/** A handler that never settles (its promise is resolved when the test ends, so nothing dangles). */
function never(): Promise<void> {
  const gate = deferred<void>()
  onTestFinished(() => gate.resolve())
  return gate.promise
}

describe('handlerTimeOut', () => {
  test('a request handler that never settles fails with ERR_HANDLER_TIMEOUT: ApplicationError, slot freed, counted', async () => {
    const failures: unknown[] = []
    class Session extends AppSession {
      override handleException(error: unknown): void {
        failures.push(error)
        super.handleException(error)
      }
    }
    const { server, port } = await startServer(
      { config: { handlerTimeOut: 100, maxConnectionNumber: 1 }, sessionClass: Session },
      (app) => {
        app.on('newRequestReceived', (session, request) => {
          if (request.key === 'STALL') return never()
          session.trySend(`${request.key}\r\n`)
          return undefined
        })
      },
    )
    const client = await connect(port)
    const lines = new LineReader(client)
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 3_000)
    client.write('STALL\r\nAFTER\r\n')
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ApplicationError)
    expect(failures).toHaveLength(1)
    expect(SocketError.isSocketError(failures[0]) && failures[0].code).toBe('ERR_HANDLER_TIMEOUT')
    // Nothing after the stalled request was dispatched; the connection is gone.
    expect(await lines.closed()).toEqual([])
    expect(server.getStats()).toMatchObject({ sessions: 0, handlerTimeouts: 1, closed: { ApplicationError: 1 } })
    // Its slot is free again (maxConnectionNumber: 1).
    const again = await connect(port)
    const againLines = new LineReader(again)
    again.write('HELLO\r\n')
    expect(await againLines.next()).toBe('HELLO')
  })

  test('a connect handler (newSessionConnected, onSessionStarted) that never settles times out too; its late result is ignored', async () => {
    const late = deferred<void>()
    class Session extends AppSession {
      override onSessionStarted(): Promise<void> {
        return late.promise
      }
    }
    const { server, port } = await startServer({ config: { handlerTimeOut: 100 }, sessionClass: Session })
    let requests = 0
    server.on('newRequestReceived', () => {
      requests++
    })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 3_000)
    const client = await connect(port)
    client.write('EARLY\r\n')
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ApplicationError)
    late.resolve()
    await new Promise((resolve) => setImmediate(resolve))
    expect(requests).toBe(0)
    expect(server.getStats()).toMatchObject({ handlerTimeouts: 1, sessions: 0 })
  })

  test('a handleException that keeps the session: dispatch goes on with the next request', async () => {
    class Session extends AppSession {
      override handleException(): void {
        this.trySend('FAILED\r\n')
      }
    }
    const { port } = await startServer({ config: { handlerTimeOut: 50 }, sessionClass: Session }, (app) => {
      app.on('newRequestReceived', (session, request) => {
        if (request.key === 'STALL') return never()
        session.trySend(`${request.key}\r\n`)
        return undefined
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('STALL\r\nNEXT\r\n')
    expect(await lines.take(2, 3_000)).toEqual(['FAILED', 'NEXT'])
  })

  test('0 = off: a slow handler is waited for', async () => {
    const { server, port } = await startServer({ config: { handlerTimeOut: 0, frameTimeOut: 0 } }, (app) => {
      app.on('newRequestReceived', async (session) => {
        await new Promise((resolve) => setTimeout(resolve, 150))
        session.trySend('DONE\r\n')
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('SLOW\r\n')
    expect(await lines.next()).toBe('DONE')
    expect(server.getStats().handlerTimeouts).toBe(0)
  })

  test('a handler that settles just before the deadline, to a peer that reads nothing, gets no second closeTimeOut', async () => {
    const release = deferred<void>()
    const { server, port } = await startServer({ config: { closeTimeOut: 1_000, handlerTimeOut: 0 } }, (app) => {
      app.on('newRequestReceived', async (session) => {
        await release.promise
        // far more than the socket buffers take: the rest waits in the queue for a reader that never comes
        session.trySend(Buffer.alloc(16 * 1_048_576))
      })
    })
    const client = await connect(port)
    client.pause()
    const started = next(server, 'newRequestReceived')
    client.write('BIG\r\n')
    await started
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 5_000)
    const before = performance.now()
    const stopped = server.stop()
    // the handler settles 900 ms into the 1,000 ms closeTimeOut: its drain would last until 1,900 ms
    const settle = setTimeout(() => release.resolve(), 900)
    onTestFinished(() => clearTimeout(settle))
    await stopped
    const took = performance.now() - before
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ServerShutdown)
    expect(took).toBeGreaterThanOrEqual(900)
    expect(took).toBeLessThan(1_600)
  })
})

describe('frameTimeOut', () => {
  test('a partial frame dripped slowly closes the session with TimeOut, counted', async () => {
    const { server, port } = await startServer({ config: { frameTimeOut: 150 } })
    const client = await connect(port)
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 3_000)
    // One byte every 30 ms keeps the idle clock fresh, but the frame never completes.
    const drip = setInterval(() => client.write('x'), 30)
    onTestFinished(() => clearInterval(drip))
    const started = performance.now()
    const [, reason] = await closed
    clearInterval(drip)
    expect(reason).toBe(CloseReason.TimeOut)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(server.getStats()).toMatchObject({ frameTimeouts: 1, closed: { TimeOut: 1 } })
  })

  test('complete frames, and a quiet connection between frames, are never timed out', async () => {
    const { server, port } = await startServer({ config: { frameTimeOut: 80 } }, (app) => {
      app.on('newRequestReceived', (session, request) => {
        session.trySend(`${request.key}\r\n`)
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    // Each frame completes within the deadline, though the whole run is many times longer.
    for (let round = 0; round < 6; round++) {
      client.write('PI')
      await new Promise((resolve) => setTimeout(resolve, 20))
      client.write('NG\r\n')
      expect(await lines.next()).toBe('PING')
      await new Promise((resolve) => setTimeout(resolve, 40))
    }
    expect(server.getStats()).toMatchObject({ frameTimeouts: 0, sessions: 1 })
  })

  test('the clock stops while the server is the one waiting (a slow handler before the partial frame is read)', async () => {
    const { server, port } = await startServer({ config: { frameTimeOut: 100 } }, (app) => {
      app.on('newRequestReceived', async (session, request) => {
        if (request.key === 'SLOW') await new Promise((resolve) => setTimeout(resolve, 300))
        session.trySend(`${request.key}\r\n`)
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    // The partial "NE" waits behind the slow handler for 300 ms: the server, not the peer, holds it up.
    client.write('SLOW\r\nNE')
    expect(await lines.next()).toBe('SLOW')
    client.write('XT\r\n')
    expect(await lines.next()).toBe('NEXT')
    expect(server.getStats().frameTimeouts).toBe(0)
  })

  test('0 = off', async () => {
    const { server, port } = await startServer({ config: { frameTimeOut: 0 } })
    const client = await connect(port)
    client.write('partial')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(server.sessionCount).toBe(1)
    expect(server.getStats().frameTimeouts).toBe(0)
  })
})

describe('sendStallTimeOut', () => {
  test('a client that never reads is closed with TimeOut, counted', async () => {
    const payload = 'x'.repeat(65_536)
    const { server, port } = await startServer({ config: { sendStallTimeOut: 200, sendTimeOut: 0 } }, (app) => {
      app.on('newRequestReceived', async (session) => {
        // More than the kernel's buffers hold, so that bytes stay queued once the client stops taking them.
        try {
          for (let index = 0; index < 1_000; index++) await session.send(payload)
        } catch {
          // The session closed while this waited for room.
        }
      })
    })
    const client = await connect(port)
    client.pause()
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 5_000)
    client.write('BIG\r\n')
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.TimeOut)
    expect(server.getStats()).toMatchObject({ sendStalls: 1, closed: { TimeOut: 1 } })
  })
})

describe('stop()', () => {
  test('delivers the replies of handlers running when it is called, drops parsed requests not dispatched', async () => {
    const release = deferred<void>()
    const { server, port } = await startServer({}, (app) => {
      app.on('newRequestReceived', async (session, request) => {
        if (request.key === 'WAIT') {
          await release.promise
          await session.send('LATE REPLY\r\n')
        } else session.trySend(`${request.key}\r\n`)
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    const started = next(server, 'newRequestReceived')
    client.write('WAIT\r\nDROPPED\r\n')
    await started
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const stopped = server.stop()
    release.resolve()
    await stopped
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ServerShutdown)
    expect(await lines.closed()).toEqual(['LATE REPLY'])
  })

  test('over UDP too: the reply of a handler running when it is called still goes out, then the socket closes', async () => {
    const release = deferred<void>()
    const { server, port } = await startServer({ config: { mode: 'udp' } }, (app) => {
      app.on('newRequestReceived', async (session, request) => {
        if (request.key !== 'WAIT') return
        await release.promise
        await session.send('LATE REPLY\r\n')
      })
    })
    const client = await udpClient()
    const started = next(server, 'newRequestReceived')
    client.send('WAIT\r\n', port)
    await started
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const stopped = server.stop()
    release.resolve()
    await stopped
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ServerShutdown)
    expect((await client.receive(1)).map(String)).toEqual(['LATE REPLY\r\n'])
    expect(server.sessionCount).toBe(0)
  })

  test('resolves within closeTimeOut plus a little when a handler never settles', async () => {
    const { server, port } = await startServer({ config: { closeTimeOut: 200, handlerTimeOut: 0 } }, (app) => {
      app.on('newRequestReceived', () => never())
    })
    const client = await connect(port)
    const started = next(server, 'newRequestReceived')
    client.write('STALL\r\n')
    await started
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 3_000)
    const before = performance.now()
    await server.stop()
    const took = performance.now() - before
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ServerShutdown)
    expect(took).toBeGreaterThanOrEqual(150)
    expect(took).toBeLessThan(1_500)
    expect(server.getStats().handlerTimeouts).toBe(0)
  })
})

describe('dispatch budget', () => {
  test('one pipelining client cannot starve another: dispatch yields, each session keeps its order', async () => {
    const order: string[] = []
    const { server, port } = await startServer({ config: { sendHighWaterMark: 4_194_304 } }, (app) => {
      app.on('newRequestReceived', (session, request) => {
        order.push(request.key)
        session.trySend(`${request.key}\r\n`)
      })
    })
    const flood = await connect(port)
    const good = await connect(port)
    const floodLines = new LineReader(flood)
    const goodLines = new LineReader(good)
    await until(() => server.sessionCount === 2, 'both sessions')
    const count = 20_000
    let requests = ''
    for (let index = 0; index < count; index++) requests += `F${index}\r\n`
    flood.write(requests)
    good.write('GOOD\r\n')
    const floodReplies = await floodLines.take(count, 10_000)
    expect(await goodLines.next()).toBe('GOOD')
    expect(floodReplies).toEqual(Array.from({ length: count }, (_, index) => `F${index}`))
    // The good request was dispatched before the flood's last requests were.
    expect(order.indexOf('GOOD')).toBeLessThan(count)
    expect(server.getStats().dispatchYields).toBeGreaterThan(0)
  })
})

test('stop() during a run that yielded for the budget still answers every request read before it', async () => {
  const { server, port } = await startServer({ config: { sendHighWaterMark: 4_194_304 } }, (app) => {
    app.on('newRequestReceived', (session, request) => {
      session.trySend(`${request.key}\r\n`)
    })
  })
  const client = await connect(port)
  const lines = new LineReader(client)
  const count = 20_000
  let requests = ''
  for (let index = 0; index < count; index++) requests += `R${index}\r\n`
  const firstDispatched = next(server, 'newRequestReceived', 5_000)
  client.write(requests)
  await firstDispatched
  // The stop comes in a later turn than the first request: the run yielded (the socket may still hold bytes the server
  // has not read: those are not answered, so count only what the server took in).
  await new Promise((resolve) => setImmediate(resolve))
  const read = server.getStats().bytesIn
  await server.stop()
  const replies = await lines.closed(5_000)
  const answered = requests.slice(0, read)
  const complete = answered.slice(0, answered.lastIndexOf('\r\n') + 2)
  expect(replies.join('\r\n') + (replies.length > 0 ? '\r\n' : '')).toBe(complete)
  expect(server.getStats().dispatchYields).toBeGreaterThan(0)
})
