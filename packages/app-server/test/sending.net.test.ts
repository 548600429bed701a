import net from 'node:net'
import { readBytes, readUntilEnd } from '@socketlite/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import {
  type AppSession,
  type BinaryRequestInfo,
  CloseReason,
  FixedSizeReceiveFilterFactory,
  SendTimeoutError,
  SessionClosedError,
  SocketError,
} from '../src/index.js'
import { connect, next, saturate, startServer } from './helpers.js'

async function sessionPair(config = {}) {
  const { server, port } = await startServer({ config })
  const connected = next<[AppSession]>(server, 'newSessionConnected')
  const client = await connect(port)
  const [session] = await connected
  return { server, session, client }
}

/** Fill the session's queue against a client that does not read, until trySend refuses (bounded). */
function fill(session: AppSession, chunk: Uint8Array, limit = 10_000): number {
  let queued = 0
  while (queued < limit && session.trySend(chunk)) queued++
  return queued
}

describe('trySend', () => {
  test('strings use textEncoding and nothing is appended (B26)', async () => {
    const { session, client } = await sessionPair({ textEncoding: 'latin1' })
    expect(session.trySend('café')).toBe(true)
    expect(session.trySend('')).toBe(true)
    expect([...(await readBytes(client, 4))]).toEqual([0x63, 0x61, 0x66, 0xe9])
  })

  test('copies a Uint8Array: the caller may reuse its buffer at once', async () => {
    const { session, client } = await sessionPair()
    const buffer = Buffer.from('first')
    expect(session.trySend(buffer)).toBe(true)
    buffer.write('XXXXX')
    const view = new Uint8Array([1, 2, 3])
    expect(session.trySend(view)).toBe(true)
    view.fill(9)
    expect(Buffer.from(await readBytes(client, 8))).toEqual(Buffer.from([...Buffer.from('first'), 1, 2, 3]))
  })

  test('refuses (never throws) when there is no room, and after close; counts the refusals', async () => {
    const { server, session, client } = await sessionPair({ sendHighWaterMark: 4096, sendLowWaterMark: 1024 })
    client.pause()
    const chunk = Buffer.alloc(1024, 1)
    const queued = fill(session, chunk)
    expect(queued).toBeGreaterThan(0)
    expect(queued).toBeLessThan(10_000)
    expect(session.pendingSendBytes).toBeLessThanOrEqual(4096)
    expect(session.trySend(chunk)).toBe(false)
    const refusedBefore = server.getStats().trySendRefused
    const closing = session.close()
    expect(session.trySend('late')).toBe(false)
    expect(server.getStats().trySendRefused).toBe(refusedBefore + 1)
    client.resume()
    await closing
    expect(session.trySend('closed')).toBe(false)
  })

  test('a payload larger than the high water mark goes into an empty queue', async () => {
    const { session, client } = await sessionPair({ sendHighWaterMark: 1024 })
    const big = Buffer.alloc(10_000, 7)
    expect(session.trySend(big)).toBe(true)
    expect(session.trySend('x')).toBe(false)
    expect((await readBytes(client, 10_000)).equals(big)).toBe(true)
  })
})

describe('handing buffers over ({ copy: false })', () => {
  test('the session queues the buffer itself, no copy (so it must not be changed afterwards)', async () => {
    const { server, session, client } = await sessionPair()
    const payload = Buffer.alloc(4_096, 0x61)
    expect(session.trySend(payload, { copy: false })).toBe(true)
    // Not written yet (that happens on the next tick): a change made now shows, as no copy was made.
    payload.fill(0x62)
    expect((await readBytes(client, 4_096)).equals(Buffer.alloc(4_096, 0x62))).toBe(true)
    expect(server.getStats().sendPool.chunks).toBe(0)
    expect(server.getStats().bytesOut).toBe(4_096)
  })

  test('echoed frames handed over arrive intact, whatever the chunking', async () => {
    const { server, port } = await startServer<BinaryRequestInfo>(
      { receiveFilterFactory: new FixedSizeReceiveFilterFactory({ size: 10 }) },
      (created) => {
        created.on('newRequestReceived', (session, request) => void session.trySend(request.body, { copy: false }))
      },
    )
    const client = await connect(port)
    const frames = Buffer.from(
      Array.from({ length: 3_000 }, (_, index) => `${String(index).padStart(9, '0')}\n`).join(''),
    )
    for (let offset = 0; offset < frames.length; offset += 7_001) client.write(frames.subarray(offset, offset + 7_001))
    expect((await readBytes(client, frames.length)).equals(frames)).toBe(true)
    expect(server.getStats().bytesOut).toBe(frames.length)
  })

  test('send() takes the option too; strings are always encoded', async () => {
    const { session, client } = await sessionPair()
    await session.send(Buffer.from('handed '), { copy: false })
    await session.send('over', { copy: false })
    expect((await readBytes(client, 11)).toString()).toBe('handed over')
  })
})

describe('send', () => {
  test('resolves at once when there is room', async () => {
    const { session, client } = await sessionPair()
    await session.send('hello')
    expect((await readBytes(client, 5)).toString()).toBe('hello')
  })

  test('waits for room, then resolves in call order once the peer reads', async () => {
    const { session, client } = await sessionPair({ sendHighWaterMark: 4096, sendLowWaterMark: 1024, sendTimeOut: 0 })
    client.pause()
    const queued = await saturate(session, 1024)
    const order: number[] = []
    const sends = [1, 2, 3].map((index) =>
      session.send(Buffer.alloc(1024, 0x30 + index)).then(() => {
        order.push(index)
      }),
    )
    // Waiting sends keep their order: trySend must not overtake them.
    expect(session.trySend('overtake')).toBe(false)
    const received = readBytes(client, queued + 3 * 1024, 5_000)
    client.resume()
    await Promise.all(sends)
    expect(order).toEqual([1, 2, 3])
    const bytes = await received
    expect(bytes.subarray(queued).toString()).toBe(`${'1'.repeat(1024)}${'2'.repeat(1024)}${'3'.repeat(1024)}`)
  })

  test('rejects with SendTimeoutError after sendTimeOut; the session stays open', async () => {
    const { session, client } = await sessionPair({ sendHighWaterMark: 2048, sendTimeOut: 50 })
    client.pause()
    await saturate(session, 1024)
    const error = await session.send(Buffer.alloc(1024)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SendTimeoutError)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_SEND_TIMEOUT')
    expect(session.connected).toBe(true)
    expect(session.server.getStats().sendTimeouts).toBe(1)
  })

  test('sendTimeOut < 0 fails at once when there is no room', async () => {
    const { session, client } = await sessionPair({ sendHighWaterMark: 2048, sendTimeOut: -1 })
    client.pause()
    await saturate(session, 1024)
    await expect(session.send('x')).rejects.toMatchObject({ code: 'ERR_SEND_TIMEOUT' })
  })

  test('rejects with SessionClosedError once closed, and a waiting send when the session closes', async () => {
    const { session, client } = await sessionPair({ sendHighWaterMark: 2048, sendTimeOut: 0, closeTimeOut: 100 })
    client.pause()
    await saturate(session, 1024)
    const waiting = session.send(Buffer.alloc(1024))
    const closing = session.close(CloseReason.ServerClosing)
    await expect(waiting).rejects.toBeInstanceOf(SessionClosedError)
    await expect(session.send('after')).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED' })
    await closing
  })
})

describe('write combining', () => {
  test('the replies to the requests of one chunk leave in one write, in order', async () => {
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', (session, request) => {
        session.trySend(`${request.body}\r\n`)
      })
    })
    const writes = vi.spyOn(net.Socket.prototype, 'write')
    onTestFinished(() => writes.mockRestore())
    const client = await connect(port)
    const count = 200
    const expected = Array.from({ length: count }, (_, index) => `${index}`.padStart(5, '0'))
    const received = readBytes(client, expected.length * 7)
    writes.mockClear()
    client.write(expected.map((body) => `ECHO ${body}\r\n`).join(''))
    expect((await received).toString()).toBe(expected.map((body) => `${body}\r\n`).join(''))
    const serverWrites = writes.mock.contexts.filter((socket) => (socket as net.Socket).localPort === port)
    // One chunk (or a few, as TCP splits it) gives one write each, not one per reply.
    expect(serverWrites.length).toBeGreaterThan(0)
    expect(serverWrites.length).toBeLessThan(10)
    expect(server.getStats().bytesOut).toBe(expected.length * 7)
  })

  test('coalesced replies keep their order with broadcasts, sends and a close from the same handler', async () => {
    const { server, port } = await startServer({}, (server) => {
      server.on('newRequestReceived', async (session, request) => {
        session.trySend(`A${request.key}\r\n`)
        server.broadcast(`B${request.key}\r\n`)
        session.trySend(Buffer.from(`C${request.key}\r\n`))
        if (request.key === '2') {
          await session.send(`D${request.key}\r\n`)
          await session.close()
        }
      })
    })
    const client = await connect(port)
    const closed = next(server, 'sessionClosed')
    client.write('1\r\n2\r\n3\r\n')
    const all = await readUntilEnd(client)
    await closed
    expect(all.toString()).toBe('A1\r\nB1\r\nC1\r\nA2\r\nB2\r\nC2\r\nD2\r\n')
  })

  test('a large reply between small ones keeps its place', async () => {
    const { port } = await startServer({ config: { sendHighWaterMark: 1 << 20 } }, (server) => {
      server.on('newRequestReceived', (session, request) => {
        session.trySend('<')
        session.trySend(request.key === 'BIG' ? Buffer.alloc(100_000, 0x62) : request.key)
        session.trySend('>')
      })
    })
    const client = await connect(port)
    client.write('x\r\nBIG\r\ny\r\n')
    const bytes = await readBytes(client, 3 + 100_002 + 3)
    expect(bytes.subarray(0, 4).toString()).toBe('<x><')
    expect(bytes.subarray(4, 100_004).every((byte) => byte === 0x62)).toBe(true)
    expect(bytes.subarray(100_004).toString()).toBe('><y>')
  })

  test.each(['utf8', 'utf-8', 'latin1', 'ascii', 'utf16le'] as const)(
    'strings are encoded with textEncoding %s, straight into the queue',
    async (textEncoding) => {
      const replies = ['café ', 'naïve ', '', 'plain']
      const { server, port } = await startServer({ config: { textEncoding } }, (server) => {
        server.on('newRequestReceived', (session) => {
          for (const reply of replies) session.trySend(reply)
        })
      })
      const client = await connect(port)
      const expected = Buffer.from(replies.join('').repeat(2), textEncoding)
      const received = readBytes(client, expected.length)
      client.write(Buffer.from('A\r\nB\r\n', textEncoding))
      expect(Buffer.from(await received)).toEqual(expected)
      expect(server.getStats().bytesOut).toBe(expected.length)
    },
  )
})

describe('close', () => {
  test('drains what was queued before it, then ends the connection', async () => {
    const { server, session, client } = await sessionPair({ sendHighWaterMark: 1 << 20 })
    const payload = Buffer.alloc(512 * 1024, 0x5a)
    expect(session.trySend(payload)).toBe(true)
    expect(session.trySend('TAIL')).toBe(true)
    const closed = next(server, 'sessionClosed')
    const closing = session.close()
    const chunks: Buffer[] = []
    client.on('data', (chunk: Buffer) => chunks.push(chunk))
    await next(client, 'end')
    const received = Buffer.concat(chunks)
    expect(received.length).toBe(payload.length + 4)
    expect(received.subarray(payload.length).toString()).toBe('TAIL')
    await closing
    await closed
  })

  test('a peer that never reads cannot keep a closing session past closeTimeOut (B16)', async () => {
    const { server, session, client } = await sessionPair({ closeTimeOut: 150, sendHighWaterMark: 1 << 20 })
    client.pause()
    // More than the kernel buffers hold, so the queue cannot drain.
    await saturate(session, 65_536)
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed', 3_000)
    void session.close(CloseReason.TimeOut)
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.TimeOut)
  })
})
