import { type ChildProcess, fork } from 'node:child_process'
import type net from 'node:net'
import { listenTcp, withTimeout } from '@socketlite/testing'
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest'
import { CloseReason, SocketError } from '../src/index.js'
import { lineClient, next, rejection, startEchoServer } from './helpers.js'

const codeOf = (error: unknown) => (SocketError.isSocketError(error) ? error.code : String(error))

/** A free loopback port (nothing listens on it now). */
async function freePort(): Promise<number> {
  const probe = await listenTcp()
  await probe.close()
  return probe.port
}

afterEach(() => {
  vi.useRealTimers()
})

/** The echo server of fixtures/echo-child.mjs in a child process; `received` collects what it reports. */
async function echoChild(port: number, received: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./fixtures/echo-child.mjs', import.meta.url), [String(port)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const ready = new Promise<number>((resolve) =>
    child.on('message', (message: { port?: number; received?: string }) => {
      if (message.port !== undefined) resolve(message.port)
      if (message.received !== undefined) received.push(message.received)
    }),
  )
  return { child, port: await withTimeout(ready, 10_000, 'the echo child') }
}

describe('reconnect', () => {
  test('a server stopped and started again on the same port: disconnected, reconnecting, connected, and it works', async () => {
    const first = await startEchoServer()
    const client = lineClient(first.port, { reconnect: { initialDelay: 20, maxDelay: 100 } })
    const events: string[] = []
    client.on('connected', () => events.push('connected'))
    client.on('disconnected', (reason, info) => events.push(`disconnected ${reason} ${info.willReconnect}`))
    client.on('reconnecting', (attempt) => events.push(`reconnecting ${attempt}`))
    await client.connect()
    expect((await client.request('ECHO one\r\n')).key).toBe('one')

    const reconnecting = next(client, 'reconnecting')
    await first.server.stop() // a graceful stop: the server ends the connection
    await reconnecting
    expect(client.state).toBe('reconnecting')
    expect(client.trySend('ECHO lost?\r\n')).toBe(false)
    // A send made while the client reconnects waits for the connection (up to sendTimeOut).
    const waiting = client.request('ECHO waited\r\n')
    const connected = next(client, 'connected')
    const second = await startEchoServer({ config: { port: first.port } })
    await connected
    expect((await waiting).key).toBe('waited')
    expect((await client.request('ECHO two\r\n')).key).toBe('two')
    expect(events[0]).toBe('connected')
    expect(events[1]).toBe(`disconnected ${CloseReason.ServerClosing} true`)
    expect(events.slice(2, -1).every((event, index) => event === `reconnecting ${index + 1}`)).toBe(true)
    expect(events.length).toBeGreaterThan(3)
    expect(events.at(-1)).toBe('connected')
    expect(second.received).toEqual(['ECHO waited', 'ECHO two'])
  })

  test('a server process killed (SIGKILL) mid-stream and started again: every reply goes to its own request, nothing twice', async () => {
    const received: string[] = []
    const first = await echoChild(0, received)
    const client = lineClient(first.port, { reconnect: { initialDelay: 10, maxDelay: 50 }, sendTimeOut: 10_000 })
    await client.connect()
    const dropped = next(client, 'disconnected', 10_000)
    const answers = new Map<number, string>()
    const failures: unknown[] = []
    let restarted: Promise<unknown> | undefined
    // Requests in a row; the server is killed after the 30th reply and started again on the same port.
    for (let id = 0; id < 60; id += 1) {
      if (id === 30) {
        first.child.kill('SIGKILL')
        restarted = dropped.then(() => echoChild(first.port, received))
      }
      try {
        answers.set(id, (await client.request(`ECHO r${id}\r\n`, { timeout: 5_000 })).key)
      } catch (error) {
        failures.push(error)
      }
    }
    await restarted
    const [reason, info] = await dropped
    expect([CloseReason.ServerClosing, CloseReason.SocketError]).toContain(reason)
    expect(info.willReconnect).toBe(true)
    for (const [id, key] of answers) expect(key).toBe(`r${id}`)
    expect(answers.size).toBeGreaterThanOrEqual(58) // at most the request under way when the server died is lost
    for (const error of failures) expect(codeOf(error)).toBe('ERR_SESSION_CLOSED')
    expect(new Set(received).size).toBe(received.length) // no request reached a server twice
    expect(client.state).toBe('connected')
  })

  test('a malformed reply with reconnect: disconnected(ProtocolError), then a fresh connection and filter', async () => {
    let connections = 0
    const server = await listenTcp((socket) => {
      connections += 1
      if (connections === 1) socket.write('no marks here')
      else socket.on('data', () => socket.write('<<fine>>'))
    })
    onTestFinished(() => server.close())
    const { StringBeginEndMarkReceiveFilter, SocketClient } = await import('../src/index.js')
    const client = new SocketClient({
      host: '127.0.0.1',
      port: server.port,
      receiveFilter: new StringBeginEndMarkReceiveFilter({ beginMark: '<<', endMark: '>>' }),
      reconnect: { initialDelay: 5, maxDelay: 10 },
    })
    onTestFinished(() => client.close())
    const disconnected = next(client, 'disconnected')
    const reconnected = new Promise((resolve) => client.on('connected', () => connections === 2 && resolve(undefined)))
    await client.connect()
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ProtocolError)
    expect(codeOf(info.error)).toBe('ERR_PROTOCOL')
    expect(info.willReconnect).toBe(true)
    await reconnected
    expect((await client.request('ping')).key).toBe('fine')
  })

  test('the announced delays are really waited; connections that end before the server spoke count as failed attempts', async () => {
    const server = await listenTcp((socket) => socket.destroy()) // accepts, then drops at once
    onTestFinished(() => server.close())
    const accepted: number[] = []
    server.server.on('connection', () => accepted.push(performance.now()))
    const client = lineClient(server.port, {
      reconnect: { initialDelay: 20, factor: 2, maxDelay: 80, jitter: 0.5, maxAttempts: 5 },
    })
    const announced: { attempt: number; delay: number; at: number }[] = []
    client.on('reconnecting', (attempt, delay) => announced.push({ attempt, delay, at: performance.now() }))
    const gaveUp = next(client, 'reconnectFailed', 10_000)
    await client.connect()
    await gaveUp
    expect(announced.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4, 5])
    for (const { attempt, delay } of announced) {
      const full = Math.min(80, 20 * 2 ** (attempt - 1))
      expect(delay).toBeGreaterThanOrEqual(Math.floor(full / 2))
      expect(delay).toBeLessThanOrEqual(full)
    }
    // Accept 0 was the first connect; accept n (n >= 1) is attempt n, made no sooner than its announced delay.
    expect(accepted).toHaveLength(6)
    for (const { attempt, delay, at } of announced) {
      expect((accepted[attempt] as number) - at).toBeGreaterThanOrEqual(delay - 1)
    }
    expect(client.state).toBe('closed')
  })

  test('with fake timers: no attempt before the announced delay, the attempt right at it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const server = await listenTcp((socket) => socket.destroy())
    onTestFinished(() => server.close())
    let accepts = 0
    server.server.on('connection', () => {
      accepts += 1
    })
    const client = lineClient(server.port, {
      reconnect: { initialDelay: 1_000, factor: 3, maxDelay: 20_000, jitter: 1, maxAttempts: 3 },
    })
    const announced: number[] = []
    client.on('reconnecting', (_, delay) => announced.push(delay))
    const settleIo = async () => {
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve))
    }
    await client.connect()
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      // Wait (in real time) for the drop and the announcement of this attempt.
      for (let turn = 0; turn < 1_000 && announced.length < attempt; turn += 1) await settleIo()
      expect(announced).toHaveLength(attempt)
      const delay = announced[attempt - 1] as number
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(Math.min(20_000, 1_000 * 3 ** (attempt - 1)))
      const before = accepts
      if (delay > 0) {
        vi.advanceTimersByTime(delay - 1)
        await settleIo()
        expect(accepts).toBe(before)
      }
      vi.advanceTimersByTime(delay > 0 ? 1 : 0)
      for (let turn = 0; turn < 1_000 && accepts === before; turn += 1) await settleIo()
      expect(accepts).toBe(before + 1)
    }
    for (let turn = 0; turn < 1_000 && client.state !== 'closed'; turn += 1) await settleIo()
    expect(client.state).toBe('closed')
  })

  test('maxAttempts reached: reconnectFailed, waiting sends and connect() reject with ConnectError, loops throw it', async () => {
    const first = await startEchoServer()
    const client = lineClient(first.port, {
      reconnect: { initialDelay: 5, maxDelay: 10, maxAttempts: 2 },
      sendTimeOut: 0,
    })
    await client.connect()
    const iterator = client[Symbol.asyncIterator]()
    const reconnecting = next(client, 'reconnecting')
    await first.server.stop()
    await reconnecting
    const waiting = rejection(client.send('ECHO never\r\n'))
    const connecting = rejection(client.connect())
    const [error] = await next(client, 'reconnectFailed')
    expect(codeOf(error)).toBe('ERR_CONNECT_FAILED')
    expect(await waiting).toBe(error)
    expect(await connecting).toBe(error)
    expect(await rejection(iterator.next())).toBe(error)
    expect(client.state).toBe('closed')
  })

  test('a first connect() with reconnect keeps trying until the server is there', async () => {
    const port = await freePort()
    const client = lineClient(port, { reconnect: { initialDelay: 10, maxDelay: 40 } })
    const firstRetry = next(client, 'reconnecting')
    const connecting = client.connect()
    const [attempt, , cause] = await firstRetry
    expect(attempt).toBe(1)
    expect(codeOf(cause)).toBe('ERR_CONNECT_FAILED')
    await startEchoServer({ config: { port } })
    await connecting
    expect((await client.request('ECHO late\r\n')).key).toBe('late')
  })

  test('close() while waiting to reconnect stops it: no further attempt, state closed', async () => {
    const first = await startEchoServer()
    const client = lineClient(first.port, { reconnect: { initialDelay: 60_000 } })
    await client.connect()
    const reconnecting = next(client, 'reconnecting')
    await first.server.stop()
    await reconnecting
    await client.close()
    expect(client.state).toBe('closed')
  })
})

describe('what was queued but not written when a connection drops', () => {
  test('is reported in disconnected (unsent: never left the client; unconfirmed: under way), never sent again', async () => {
    const messageSize = 1_024
    const idOf = (id: number) => `M${String(id).padStart(8, '0')}`
    const message = (id: number) => `${idOf(id)}${'.'.repeat(messageSize - 11)}\r\n`
    const connections: net.Socket[] = []
    const received = new Map<string, number>()
    let receivedBytes = 0
    const count = (socket: net.Socket) => {
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (data: string) => {
        receivedBytes += data.length
        text += data
        for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n')) {
          const id = text.slice(0, 9)
          received.set(id, (received.get(id) ?? 0) + 1)
          text = text.slice(end + 2)
        }
      })
    }
    const server = await listenTcp(
      (socket) => {
        connections.push(socket)
        if (connections.length === 1)
          socket.pause() // the first connection is not read: its bytes pile up
        else count(socket)
      },
      { allowHalfOpen: true },
    )
    onTestFinished(() => server.close())
    const client = lineClient(server.port, {
      sendHighWaterMark: 64 * 1_024,
      closeTimeOut: 100,
      sendTimeOut: 0,
      reconnect: { initialDelay: 10, maxDelay: 10 },
    })
    await client.connect()
    let accepted = 0
    let acceptedBytes = 0
    // One send per turn of the event loop, so that each write is one small batch: once the kernel's buffers are full,
    // the batch under way is small and what follows waits in the client's queue, until the queue is full too.
    const deadline = performance.now() + 10_000
    while (accepted < 200_000 && performance.now() < deadline && client.trySend(message(accepted))) {
      accepted += 1
      acceptedBytes += messageSize
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(client.writable).toBe(false)
    // A send that waits for room is not lost either: it goes out on the next connection.
    const waited = client.send(message(accepted)).then(() => {
      accepted += 1
      acceptedBytes += messageSize
    })
    const disconnected = next(client, 'disconnected')
    const reconnected = next(client, 'connected', 10_000)
    connections[0]?.end() // the server ends the connection, still not reading: the client cannot drain
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ServerClosing)
    expect(info.willReconnect).toBe(true)
    expect(info.unsent.messages).toBeGreaterThan(0)
    expect(info.unsent.bytes).toBe(info.unsent.messages * messageSize)
    expect(info.unconfirmed.bytes).toBe(info.unconfirmed.messages * messageSize)
    const firstConnectionAccepted = accepted
    // Now the server reads what reached it on the first connection.
    const first = connections[0] as net.Socket
    const firstEnded = new Promise((resolve) => first.once('end', resolve))
    count(first)
    first.resume()
    await firstEnded

    await reconnected
    await waited
    for (let id = accepted; id < accepted + 10; id += 1) await client.send(message(id))
    accepted += 10
    acceptedBytes += 10 * messageSize
    await client.close()
    const second = connections[1] as net.Socket
    if (!second.readableEnded) await new Promise((resolve) => second.once('end', resolve))

    // Nothing twice. The unsent sends (the last ones of the first connection) never reached the server; the
    // unconfirmed ones before them may have; every other send did, whole.
    const { unsent, unconfirmed } = info
    expect([...received.values()].every((times) => times === 1)).toBe(true)
    const neverSentFrom = firstConnectionAccepted - unsent.messages
    const maybeFrom = neverSentFrom - unconfirmed.messages
    for (let id = 0; id < accepted; id += 1) {
      if (id >= neverSentFrom && id < firstConnectionAccepted) expect(received.has(idOf(id)), idOf(id)).toBe(false)
      else if (id < maybeFrom || id >= firstConnectionAccepted) expect(received.has(idOf(id)), idOf(id)).toBe(true)
    }
    expect(received.size).toBeGreaterThanOrEqual(accepted - unsent.messages - unconfirmed.messages)
    expect(received.size).toBeLessThanOrEqual(accepted - unsent.messages)
    expect(receivedBytes).toBeGreaterThanOrEqual(acceptedBytes - unsent.bytes - unconfirmed.bytes)
    expect(receivedBytes).toBeLessThanOrEqual(acceptedBytes - unsent.bytes)
  })
})
