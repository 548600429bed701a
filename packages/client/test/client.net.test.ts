import { CloseReason, type StringRequestInfo } from '@socketlite/app-server'
import { listenTcp } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { CommandLineReceiveFilterFactory, SocketClient, SocketError, TerminatorReceiveFilter } from '../src/index.js'
import { lineClient, next, record, rejection, startEchoServer } from './helpers.js'

const codeOf = (error: unknown) => (SocketError.isSocketError(error) ? error.code : String(error))

describe('connect, send, replies', () => {
  test('replies arrive as message events, in order, framed by the receive filter', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    const states = [client.state]
    client.on('connected', () => states.push(client.state))
    await client.connect()
    expect(states).toEqual(['idle', 'connected'])
    expect(client.connected).toBe(true)
    expect(client.remoteEndPoint).toEqual({ address: '127.0.0.1', port, family: 'IPv4' })
    const replies = record(client, 'message')
    expect(client.trySend('ECHO one\r\nECHO two')).toBe(true)
    await client.send(' three\r\n')
    await client.send(Buffer.from('ECHO four\r\n'))
    while (replies.length < 3) await next(client, 'message')
    expect(replies.map(([reply]) => `${reply.key}|${reply.body}`)).toEqual(['one|', 'two|three', 'four|'])
  })

  test('a receive filter factory makes a fresh filter per connection', async () => {
    const { port } = await startEchoServer()
    const made: string[] = []
    const factory = new CommandLineReceiveFilterFactory()
    const client = new SocketClient<StringRequestInfo>({
      host: '127.0.0.1',
      port,
      receiveFilterFactory: (session) => {
        made.push(session?.sessionId ?? '')
        return factory.createFilter()
      },
    })
    onTestFinished(() => client.close())
    await client.connect()
    expect(await client.request('ECHO A b\r\n')).toMatchObject({ key: 'A', body: 'b' })
    await client.close()
    await client.connect()
    expect(await client.request('ECHO C\r\n')).toMatchObject({ key: 'C' })
    expect(made).toHaveLength(2)
    expect(made[0]).not.toBe(made[1])
  })

  test('the caller may reuse its buffer as soon as send/trySend return', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    await client.connect()
    const replies = record(client, 'message')
    const buffer = Buffer.from('ECHO first\r\n')
    expect(client.trySend(buffer)).toBe(true)
    buffer.write('ECHO wrong\r\n')
    const again = Buffer.from('ECHO second\r\n')
    const sent = client.send(again)
    again.fill(0)
    await sent
    while (replies.length < 2) await next(client, 'message')
    expect(replies.map(([reply]) => reply.key)).toEqual(['first', 'second'])
  })

  test('send, trySend and request before connect() or after close() fail as on a closed session', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    expect(client.trySend('ECHO x\r\n')).toBe(false)
    expect(codeOf(await rejection(client.send('ECHO x\r\n')))).toBe('ERR_SESSION_CLOSED')
    expect(codeOf(await rejection(client.request('ECHO x\r\n')))).toBe('ERR_SESSION_CLOSED')
    await client.connect()
    await client.close()
    expect(client.state).toBe('closed')
    expect(client.trySend('ECHO x\r\n')).toBe(false)
    expect(codeOf(await rejection(client.send('ECHO x\r\n')))).toBe('ERR_SESSION_CLOSED')
    expect(codeOf(await rejection(client.send(42 as never)))).toBe('ERR_SESSION_CLOSED')
    await client.connect()
    expect(codeOf(await rejection(client.send(42 as never)))).toBe('ERR_INVALID_ARGUMENT')
    expect(client.trySend(42 as never)).toBe(false)
  })

  test('invalid options throw InvalidArgumentError at construction', () => {
    const filter = new TerminatorReceiveFilter({ terminator: '\r\n' })
    const bad: unknown[] = [
      {},
      { host: '', port: 1, receiveFilter: filter },
      { host: '127.0.0.1', port: 0, receiveFilter: filter },
      { host: '127.0.0.1', port: 1 },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, receiveFilterFactory: () => filter },
      { host: '127.0.0.1', port: 1, receiveFilter: {} },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, mode: 'sctp' },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, mode: 'udp', tls: true },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, tls: { caFile: '/nonexistent/ca.pem' } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, tls: { cert: 'x' } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, reconnect: { jitter: 2 } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, reconnect: { maxAttempts: 0 } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, reconnect: { initialDelay: 10, maxDelay: 5 } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, reconnect: { factor: 0.5 } },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, sendHighWaterMark: 0 },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, sendHighWaterMark: 10, sendLowWaterMark: 11 },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, connectTimeOut: 0 },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, maxRequestLength: 0 },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, textEncoding: 'klingon' },
      { host: '127.0.0.1', port: 1, receiveFilter: filter, sendTimeOut: Number.NaN },
    ]
    for (const init of bad) {
      expect(() => new SocketClient(init as never), JSON.stringify(init)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })

  test('connect() is idempotent: the same connection while connecting or connected', async () => {
    const { port, server } = await startEchoServer()
    const client = lineClient(port)
    await Promise.all([client.connect(), client.connect()])
    await client.connect()
    expect(server.sessionCount).toBe(1)
  })
})

describe('request/reply', () => {
  test('requests resolve with their own replies, first in first out', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    await client.connect()
    const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => client.request(`ECHO r${index}\r\n`)))
    expect(answers.map((reply) => reply.key)).toEqual(Array.from({ length: 50 }, (_, index) => `r${index}`))
    expect(client.pendingRequests).toBe(0)
  })

  test('a timed-out request keeps its place: its late reply is dropped, later requests get their own', async () => {
    // The server answers SLOW only once it is told to (GO), so the first request times out for sure.
    let release: (() => void) | undefined
    const slowServer = await listenTcp((socket) => {
      let text = ''
      socket.on('data', (data) => {
        text += data.toString()
        for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n')) {
          const line = text.slice(0, end)
          text = text.slice(end + 2)
          if (line === 'SLOW') release = () => socket.write('slow\r\n')
          else socket.write(`${line.toLowerCase()}\r\n`)
        }
      })
    })
    onTestFinished(() => slowServer.close())
    const client = lineClient(slowServer.port)
    await client.connect()
    const slow = client.request('SLOW\r\n', { timeout: 50 })
    expect(codeOf(await rejection(slow))).toBe('ERR_REQUEST_TIMEOUT')
    expect(client.pendingRequests).toBe(1) // its place is kept
    const fast = client.request('FAST\r\n', { timeout: 2_000 })
    const messages = record(client, 'message')
    release?.()
    expect((await fast).key).toBe('fast')
    expect(messages.map(([reply]) => reply.key)).toEqual(['slow', 'fast']) // both were emitted
    expect(client.pendingRequests).toBe(0)
  })

  test('an aborted request rejects with the signal reason; an already aborted one is not sent', async () => {
    const { port, received } = await startEchoServer()
    const client = lineClient(port)
    await client.connect()
    const reason = new Error('changed my mind')
    expect(await rejection(client.request('ECHO x\r\n', { signal: AbortSignal.abort(reason) }))).toBe(reason)
    const controller = new AbortController()
    const aborted = client.request('ECHO y\r\n', { signal: controller.signal, timeout: 0 })
    controller.abort(reason)
    expect(await rejection(aborted)).toBe(reason)
    expect((await client.request('ECHO z\r\n')).key).toBe('z')
    expect(received).toEqual(['ECHO y', 'ECHO z'])
    expect(codeOf(await rejection(client.request('ECHO z\r\n', { timeout: -1 })))).toBe('ERR_INVALID_ARGUMENT')
  })

  test('requests waiting for their reply reject with SessionClosedError when the connection closes', async () => {
    const server = await listenTcp() // reads, never answers
    onTestFinished(() => server.close())
    const client = lineClient(server.port)
    await client.connect()
    const pending = [client.request('A\r\n'), client.request('B\r\n')]
    const disconnected = next(client, 'disconnected')
    for (const socket of server.sockets) socket.end()
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ServerClosing)
    expect(info.pendingRequests).toBe(2)
    for (const request of pending) expect(codeOf(await rejection(request))).toBe('ERR_SESSION_CLOSED')
  })
})

describe('close', () => {
  test('close() drains what was queued, then ends: the server gets every byte before the end', async () => {
    const server = await listenTcp()
    onTestFinished(() => server.close())
    const client = lineClient(server.port, { sendHighWaterMark: 1 << 20 })
    await client.connect()
    const socket = await server.nextConnection()
    const chunks: Buffer[] = []
    socket.on('data', (data) => chunks.push(data))
    const ended = new Promise((resolve) => socket.once('end', resolve))
    const payload = Buffer.alloc(512 * 1024, 0x61)
    expect(client.trySend(payload)).toBe(true)
    const disconnected = next(client, 'disconnected')
    await client.close()
    await ended
    expect(Buffer.concat(chunks).length).toBe(payload.length)
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ClientClosing)
    expect(info).toMatchObject({ error: undefined, unsent: { messages: 0, bytes: 0 }, willReconnect: false })
    expect(client.state).toBe('closed')
  })

  test('close() rejects waiting sends, every call returns the same promise, and resolves after disconnected', async () => {
    const server = await listenTcp((socket) => socket.pause()) // never reads
    onTestFinished(() => server.close())
    const client = lineClient(server.port, { sendHighWaterMark: 1024, closeTimeOut: 100, sendTimeOut: 0 })
    await client.connect()
    while (client.trySend(Buffer.alloc(512))) {}
    const waiting = rejection(client.send('more'))
    const order: string[] = []
    client.on('disconnected', () => order.push('disconnected'))
    const first = client.close()
    expect(client.close()).toBe(first)
    expect(client.state).toBe('closing')
    await first.then(() => order.push('closed'))
    expect(order).toEqual(['disconnected', 'closed'])
    expect(codeOf(await waiting)).toBe('ERR_SESSION_CLOSED')
  })

  test('close() while connecting rejects connect() with ConnectError; close() of an idle client resolves', async () => {
    const silent = await listenTcp()
    onTestFinished(() => silent.close())
    await lineClient(silent.port).close()
    // A TLS client whose server never answers the handshake stays connecting.
    const client = lineClient(silent.port, { tls: { insecure: true } })
    const connecting = client.connect()
    await silent.nextConnection()
    await client.close()
    expect(codeOf(await rejection(connecting))).toBe('ERR_CONNECT_FAILED')
    expect(client.state).toBe('closed')
  })
})

describe('bad input and unreachable servers', () => {
  test('a port nothing listens on rejects connect() with ConnectError (cause ECONNREFUSED)', async () => {
    const probe = await listenTcp()
    const port = probe.port
    await probe.close()
    const client = lineClient(port)
    const error = await rejection(client.connect())
    expect(codeOf(error)).toBe('ERR_CONNECT_FAILED')
    expect((error as Error & { cause: { code: string } }).cause.code).toBe('ECONNREFUSED')
    expect(client.state).toBe('closed')
  })

  test('a server that accepts TCP but never answers the TLS handshake: ConnectError within connectTimeOut', async () => {
    const silent = await listenTcp()
    onTestFinished(() => silent.close())
    const client = lineClient(silent.port, { tls: { insecure: true }, connectTimeOut: 200 })
    const started = performance.now()
    const error = await rejection(client.connect())
    const elapsed = performance.now() - started
    expect(codeOf(error)).toBe('ERR_CONNECT_FAILED')
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(2_000) // the timeout, not a default of seconds
    expect(silent.sockets.size).toBeLessThanOrEqual(1)
  })

  test('a malformed reply is a ProtocolError: disconnected(ProtocolError), the loop throws it, nothing crashes', async () => {
    const server = await listenTcp((socket) => socket.write('outside\r\n'))
    onTestFinished(() => server.close())
    const client = new SocketClient({
      host: '127.0.0.1',
      port: server.port,
      receiveFilter: new (await import('../src/index.js')).StringBeginEndMarkReceiveFilter({
        beginMark: '[',
        endMark: ']',
      }),
    })
    onTestFinished(() => client.close())
    const iterator = client[Symbol.asyncIterator]()
    const disconnected = next(client, 'disconnected')
    await client.connect()
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ProtocolError)
    expect(codeOf(info.error)).toBe('ERR_PROTOCOL')
    expect(codeOf(await rejection(iterator.next()))).toBe('ERR_PROTOCOL')
    expect(await iterator.next()).toEqual({ value: undefined, done: true })
    expect(client.state).toBe('closed')
  })

  test('a reply over maxRequestLength is ERR_REQUEST_TOO_LARGE, whatever its chunking', async () => {
    const server = await listenTcp((socket) => {
      socket.write('ok\r\n')
      socket.write('x'.repeat(40))
      setImmediate(() => socket.write(`${'x'.repeat(40)}\r\n`))
    })
    onTestFinished(() => server.close())
    const client = lineClient(server.port, { maxRequestLength: 64 })
    const replies = record(client, 'message')
    const disconnected = next(client, 'disconnected')
    await client.connect()
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ProtocolError)
    expect(codeOf(info.error)).toBe('ERR_REQUEST_TOO_LARGE')
    expect(replies.map(([reply]) => reply.key)).toEqual(['ok'])
  })

  test('maxRequestLength defaults to 65536 as on the server: a frame of exactly that size passes, one byte more does not', async () => {
    const line = (size: number) => `${'y'.repeat(size - 2)}\r\n` // counted whole, terminator included
    const server = await listenTcp((socket) => socket.write(line(65_536) + line(65_537)))
    onTestFinished(() => server.close())
    const client = lineClient(server.port)
    const replies = record(client, 'message')
    const disconnected = next(client, 'disconnected')
    await client.connect()
    const [reason, info] = await disconnected
    expect(replies.map(([reply]) => reply.key.length)).toEqual([65_534])
    expect(reason).toBe(CloseReason.ProtocolError)
    expect(codeOf(info.error)).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test('a message listener that throws closes the connection with ApplicationError (reported, not thrown)', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    const failure = new Error('listener bug')
    client.on('message', () => {
      throw failure
    })
    await client.connect()
    const disconnected = next(client, 'disconnected')
    client.trySend('ECHO boom\r\n')
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.ApplicationError)
    expect(info.error).toBe(failure)
  })

  test('a reset from the server is disconnected(SocketError) with the system error', async () => {
    const server = await listenTcp((socket) => socket.once('data', () => socket.resetAndDestroy()))
    onTestFinished(() => server.close())
    const client = lineClient(server.port)
    const disconnected = next(client, 'disconnected')
    await client.connect()
    client.trySend('ECHO reset me\r\n')
    const [reason, info] = await disconnected
    expect(reason).toBe(CloseReason.SocketError)
    expect((info.error as NodeJS.ErrnoException).code).toBe('ECONNRESET')
  })
})

describe('async iterator', () => {
  test('every loop sees every reply that arrives after it started, and ends (done) on close()', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    await client.connect()
    await client.request('ECHO before\r\n')
    const seen: string[][] = [[], []]
    const loops = seen.map(async (list) => {
      for await (const reply of client) list.push(reply.key)
      return list
    })
    const messages: string[] = []
    client.on('message', (reply: StringRequestInfo) => messages.push(reply.key))
    for (const word of ['a', 'b', 'c']) await client.request(`ECHO ${word}\r\n`)
    await client.close()
    expect(await Promise.all(loops)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ])
    expect(messages).toEqual(['a', 'b', 'c'])
    // A loop started on a closed client ends at once.
    for await (const _ of client) throw new Error('unreachable')
  })

  test('break leaves a loop; the server closing ends the loop (done), after the replies it held', async () => {
    const { port } = await startEchoServer()
    const client = lineClient(port)
    await client.connect()
    const iterator = client[Symbol.asyncIterator]()
    client.trySend('ECHO 1\r\nECHO 2\r\nQUIT\r\n')
    await next(client, 'disconnected')
    expect((await iterator.next()).value?.key).toBe('1')
    expect((await iterator.next()).value?.key).toBe('2')
    expect((await iterator.next()).done).toBe(true)

    await client.connect()
    const messages = record(client, 'message')
    let count = 0
    client.trySend('ECHO x\r\nECHO y\r\n')
    for await (const _ of client) {
      count += 1
      break
    }
    expect(count).toBe(1)
    while (messages.length < 2) await next(client, 'message')
    expect(await client.request('ECHO z\r\n')).toMatchObject({ key: 'z' })
  })
})
