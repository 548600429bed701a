import net from 'node:net'
import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason, SocketError, type SocketSessionHandler } from '@socketlite/socket-base'
import {
  bytesDiff,
  listenTcp,
  randomChunks,
  readBytes,
  readUntilEnd,
  SessionRecorder,
  seededRandom,
  tcpSocketPair,
  waitFor,
  withTimeout,
} from '@socketlite/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { AsyncSocketSession, type AsyncSocketSessionInit, connectSocket } from '../src/index.js'

const init: AsyncSocketSessionInit = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 2_000 }

async function pair(options: Parameters<typeof tcpSocketPair>[0] = {}) {
  const sockets = await tcpSocketPair(options)
  onTestFinished(() => sockets.close())
  return sockets
}

function session(socket: net.Socket, overrides: Partial<AsyncSocketSessionInit> = {}): AsyncSocketSession {
  const made = new AsyncSocketSession(socket, { ...init, ...overrides })
  onTestFinished(() => withTimeout(made.close(CloseReason.ServerClosing), 5_000, 'cleanup close'))
  return made
}

describe('the send path', () => {
  test('many small trySends in one tick are coalesced into one buffer and leave in one write', async () => {
    const { server, client } = await pair()
    const writev = vi.spyOn(server, '_writev')
    const write = vi.spyOn(server, '_write')
    const under = session(server)
    under.start(new SessionRecorder())
    const parts = Array.from({ length: 50 }, (_, index) => Buffer.from(`message ${index};`))
    for (const part of parts) expect(under.trySend(part)).toBe(true)
    expect(under.trySendCopy('and a string;')).toBe(true)
    expect(write).not.toHaveBeenCalled()
    const expected = Buffer.concat([...parts, Buffer.from('and a string;')])
    expect(bytesDiff(await readBytes(client, expected.length), expected)).toBeUndefined()
    expect(write).toHaveBeenCalledTimes(1)
    expect(writev).not.toHaveBeenCalled()
  })

  test('a large payload handed over leaves by reference, between the small ones, in one gather write', async () => {
    const { server, client } = await pair()
    // Node empties the array it passes to _writev once written: keep a copy of what each call saw.
    const seen: Buffer[][] = []
    const original = server._writev?.bind(server)
    const writev = vi.spyOn(server, '_writev').mockImplementation((chunks, callback) => {
      seen.push(chunks.map(({ chunk }) => chunk as Buffer))
      original?.(chunks, callback)
    })
    const under = session(server)
    under.start(new SessionRecorder())
    const big = Buffer.alloc(4_096, 9)
    expect(under.trySend(Buffer.from('head;'))).toBe(true)
    expect(under.trySend(big)).toBe(true)
    expect(under.trySendCopy('tail;')).toBe(true)
    const expected = Buffer.concat([Buffer.from('head;'), big, Buffer.from('tail;')])
    expect(bytesDiff(await readBytes(client, expected.length), expected)).toBeUndefined()
    expect(writev).toHaveBeenCalledTimes(1)
    const chunks = seen[0] ?? []
    expect(chunks.map((chunk) => chunk.toString('latin1', 0, 5))).toEqual([
      'head;',
      big.toString('latin1', 0, 5),
      'tail;',
    ])
    expect(chunks[1]).toBe(big)
  })

  test('with a pool, chunks go back once written; a session whose peer stops reading keeps only its own', async () => {
    const pool = new SmartPool({ chunkSize: 4_096, maxChunks: 64 })
    const stuck = await pair()
    const busy = await pair()
    const stalled = session(stuck.server, { sendPool: pool, sendHighWaterMark: 1 << 30, sendLowWaterMark: 0 })
    const working = session(busy.server, { sendPool: pool })
    stalled.start(new SessionRecorder())
    working.start(new SessionRecorder())
    stuck.client.pause()
    // Far more than the kernel buffers hold (8 MiB): most of it stays queued, in the stalled session's own chunks.
    const line = Buffer.from('0123456789abcdef0123456789abcdef')
    for (let index = 0; index < 262_144; index += 1) stalled.trySendCopy(line)
    expect(stalled.pendingBytes).toBe(8 * 1_048_576)
    for (let round = 0; round < 50; round += 1) {
      expect(working.trySendCopy(`round ${round};`)).toBe(true)
      await readBytes(busy.client, `round ${round};`.length)
    }
    await vi.waitFor(() => expect(working.pendingBytes).toBe(0), { timeout: 2_000, interval: 5 })
    const held = stalled.pendingBytes
    expect(held).toBeGreaterThan(1_048_576)
    // The stalled session holds its queued bytes in chunks (all 64 of the pool, then chunks of its own), no more;
    // the busy one, whose every write completes, holds none. (With the pool exhausted, it used chunks of its own.)
    expect(pool.inUse).toBe(64)
    expect(pool.overflows).toBeGreaterThan(0)
    stuck.client.resume()
    await vi.waitFor(() => expect(stalled.pendingBytes).toBe(0), { timeout: 5_000, interval: 5 })
    expect(pool.inUse).toBe(0)
  })

  test('what is queued while a batch is out leaves as the next single batch', async () => {
    const { server, client } = await pair()
    const writev = vi.spyOn(server, '_writev')
    const write = vi.spyOn(server, '_write')
    const under = session(server)
    under.start(new SessionRecorder())
    expect(under.trySend(Buffer.from('first'))).toBe(true)
    // Next tick the first batch goes out; queue three more behind it before its write completes.
    await new Promise<void>((resolve) => process.nextTick(resolve))
    for (const text of ['a', 'b', 'c']) expect(under.trySend(Buffer.from(text))).toBe(true)
    expect((await readBytes(client, 8)).toString()).toBe('firstabc')
    expect(write.mock.calls.length + writev.mock.calls.length).toBe(2)
  })

  test('random payload sizes sent over many ticks arrive intact and in order', async () => {
    const { server, client } = await pair()
    const under = session(server, { sendHighWaterMark: 1_048_576, sendLowWaterMark: 0 })
    under.start(new SessionRecorder())
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed)
      const data = Buffer.from(Array.from({ length: 20_000 }, () => Math.floor(random() * 256)))
      const pieces = randomChunks(data, random, { maxChunkSize: 700 })
      const reading = readBytes(client, data.length)
      for (let index = 0; index < pieces.length; index += 1) {
        expect(under.trySend(pieces[index] as Buffer)).toBe(true)
        if (random() < 0.2) await new Promise<void>((resolve) => setImmediate(resolve))
      }
      expect(bytesDiff(await reading, data), `seed ${seed}`).toBeUndefined()
    }
    expect(under.bytesSent).toBe(60_000)
  })

  test('counts unflushed socket bytes: refuses above the high mark while the peer does not read, writable again after', async () => {
    const { server, client } = await pair()
    const under = session(server, { sendHighWaterMark: 256 * 1_024, sendLowWaterMark: 64 * 1_024 })
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.pause()
    const chunk = Buffer.alloc(64 * 1_024, 7)
    let accepted = 0
    // The kernel buffers absorb some batches; the queue must still refuse within a bounded number of sends.
    for (let round = 0; round < 200; round += 1) {
      if (!under.trySend(chunk)) break
      accepted += 1
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect(accepted).toBeLessThan(200)
    expect(under.trySend(chunk)).toBe(false)
    expect(under.pendingBytes).toBeGreaterThan(0)
    expect(under.pendingBytes).toBeLessThanOrEqual(256 * 1_024)
    expect(under.writable).toBe(false)
    await recorder.unwritable()
    expect(recorder.drainCount).toBe(0)
    client.resume()
    await recorder.drained()
    expect(recorder.writabilityChanges).toEqual([false, true])
    expect(under.pendingBytes).toBeLessThan(64 * 1_024)
    expect(under.trySend(chunk)).toBe(true)
  })

  test('writability pauses and resumes reading: an echo to a peer that does not read stops reading it', async () => {
    const { server, client } = await pair()
    const under = session(server, { sendHighWaterMark: 64 * 1_024, sendLowWaterMark: 16 * 1_024 })
    const paused: boolean[] = []
    under.start({
      onData: (data) => under.trySend(data),
      onWritabilityChanged: (writable) => {
        if (writable) under.resumeReceive()
        else under.pauseReceive()
        paused.push(server.isPaused())
      },
      onClosed: () => {},
    })
    client.pause()
    const total = 8 * 1_048_576
    const sent = Buffer.alloc(total)
    for (let index = 0; index < total; index += 1) sent[index] = index & 0xff
    client.write(sent)
    await vi.waitFor(() => expect(paused).toContain(true), { timeout: 2_000, interval: 5 })
    expect(under.pendingBytes).toBeLessThanOrEqual(64 * 1_024 + 65_536)
    client.resume()
    expect(bytesDiff(await readBytes(client, total, 10_000), sent)).toBeUndefined()
    expect(paused[0]).toBe(true)
    expect(paused.at(-1)).toBe(false)
  })

  test('trySendCopy never throws, and refuses what is neither a Uint8Array nor a string', async () => {
    const { server } = await pair()
    const under = session(server)
    expect(under.trySendCopy(42 as unknown as string)).toBe(false)
    expect(under.trySendCopy(undefined as unknown as string)).toBe(false)
    expect(under.pendingBytes).toBe(0)
  })

  test('trySend never throws, and refuses what is not a Uint8Array', async () => {
    const { server } = await pair()
    const under = session(server)
    expect(under.trySend('text' as unknown as Uint8Array)).toBe(false)
    expect(under.trySend(undefined as unknown as Uint8Array)).toBe(false)
    expect(under.pendingBytes).toBe(0)
  })
})

describe('close', () => {
  test('sends everything queued, then ends: the client reads it all, then the end', async () => {
    const { server, client } = await pair()
    const under = session(server, { sendHighWaterMark: 1_048_576 })
    under.start(new SessionRecorder())
    const parts = [Buffer.alloc(100_000, 1), Buffer.from('tail')]
    for (const part of parts) expect(under.trySend(part)).toBe(true)
    const closing = under.close(CloseReason.ServerClosing)
    expect(bytesDiff(await readUntilEnd(client), Buffer.concat(parts))).toBeUndefined()
    await withTimeout(closing)
    expect(under.state).toBe('closed')
    expect(under.bytesSent).toBe(100_004)
    expect(under.droppedBytes).toBe(0)
  })

  test('droppedBytes counts what was still queued when the transport went, not the batch it was writing', async () => {
    const { server } = await pair()
    // The write never completes: the first batch stays in flight, what is queued after it waits behind it.
    vi.spyOn(server, '_writev').mockImplementation(() => {})
    vi.spyOn(server, '_write').mockImplementation(() => {})
    const under = session(server, { closeTimeOut: 50 })
    under.start(new SessionRecorder())
    expect(under.trySend(Buffer.from('ab'))).toBe(true)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(under.trySendCopy('cde')).toBe(true)
    expect(under.pendingBytes).toBe(5)
    await withTimeout(under.close(CloseReason.ServerClosing), 2_000, 'close')
    expect(under.bytesSent).toBe(0)
    expect(under.droppedBytes).toBe(3)
  })

  test('a lost write callback cannot keep the session open past closeTimeOut; onClosed comes once', async () => {
    const { server } = await pair()
    // Simulate Node's cork pitfall: the write's callback never comes.
    vi.spyOn(server, '_writev').mockImplementation(() => {})
    vi.spyOn(server, '_write').mockImplementation(() => {})
    const under = session(server, { closeTimeOut: 50 })
    const recorder = new SessionRecorder()
    under.start(recorder)
    expect(under.trySend(Buffer.from('a'))).toBe(true)
    expect(under.trySend(Buffer.from('b'))).toBe(true)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(under.pendingBytes).toBe(2)
    await withTimeout(under.close(CloseReason.ServerClosing), 2_000, 'close')
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
    expect(server.destroyed).toBe(true)
  })

  test('a batch cut off by the close deadline is not counted as sent (Node calls back without an error once destroyed)', async () => {
    const { server, client } = await pair()
    client.pause() // never reads: the kernel's buffers fill and the batch stays under way
    const under = session(server, { sendHighWaterMark: 64 * 1_048_576, closeTimeOut: 50 })
    under.start(new SessionRecorder())
    expect(under.trySend(Buffer.alloc(32 * 1_048_576))).toBe(true)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(under.trySendCopy('queued behind it')).toBe(true)
    await withTimeout(under.close(CloseReason.ServerClosing), 2_000, 'close')
    expect(under.bytesSent).toBe(0)
    expect(under.droppedBytes).toBe(16)
  })

  test('a reset after close keeps the first reason and records the error', async () => {
    const { server, client } = await pair()
    const under = session(server, { sendHighWaterMark: 16 * 1_048_576, closeTimeOut: 10_000 })
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.pause()
    expect(under.trySend(Buffer.alloc(8 * 1_048_576))).toBe(true)
    const closing = under.close(CloseReason.ServerClosing)
    client.resetAndDestroy()
    await withTimeout(closing)
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
    expect(under.closeError).toMatchObject({ code: 'ECONNRESET' })
  })

  test('reports a FIN as ClientClosing even on a socket made without allowHalfOpen, and still sends the reply', async () => {
    const { server, client } = await pair({ serverAllowHalfOpen: false })
    const under = session(server)
    const recorder = new SessionRecorder()
    under.start({ ...handlerOf(recorder), onData: (data) => under.trySend(Buffer.concat([Buffer.from('re: '), data])) })
    client.end('question')
    expect((await readUntilEnd(client)).toString()).toBe('re: question')
    expect(await recorder.closed()).toBe(CloseReason.ClientClosing)
  })

  test('after a FIN on a socket made without allowHalfOpen, bytes still queued behind the batch in flight go out', async () => {
    const { server, client } = await pair({ serverAllowHalfOpen: false })
    const under = session(server, { sendHighWaterMark: 64 * 1_048_576 })
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.pause()
    const first = Buffer.alloc(32 * 1_048_576, 1)
    const second = Buffer.from('queued behind the first batch')
    expect(under.trySend(first)).toBe(true)
    await new Promise<void>((resolve) => setImmediate(resolve))
    // The first batch is out (more than the kernel buffers hold); the second waits in the queue.
    expect(under.trySend(second)).toBe(true)
    client.end('bye')
    const received = await readUntilEnd(client, 5_000)
    expect(received.length).toBe(first.length + second.length)
    expect(received.subarray(first.length).toString()).toBe(second.toString())
    expect(await recorder.closed()).toBe(CloseReason.ClientClosing)
    expect(recorder.receivedBytes.toString()).toBe('bye')
  })

  test('allowHalfOpen: after the FIN the session stays open for sending until closed, with ClientClosing', async () => {
    const { server, client } = await pair()
    const under = session(server, { allowHalfOpen: true })
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.end('question')
    const reply = readUntilEnd(client)
    await recorder.until(() => recorder.count('end') > 0)
    // Half-open: still open for sending, the peer's end recorded as the close reason.
    expect(under.state).toBe('open')
    expect(under.closeReason).toBe(CloseReason.ClientClosing)
    expect(under.writable).toBe(true)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(under.trySend(Buffer.from('late '))).toBe(true)
    expect(under.trySendCopy('answer')).toBe(true)
    // The owner closes it when done (another reason does not replace the peer's end).
    await withTimeout(under.close(CloseReason.ServerClosing))
    expect((await reply).toString()).toBe('late answer')
    expect(recorder.closedReasons).toEqual([CloseReason.ClientClosing])
    expect(recorder.receivedBytes.toString()).toBe('question')
  })

  test('allowHalfOpen: a reset after the FIN closes the session at the next write, still with ClientClosing', async () => {
    const { server, client } = await pair()
    const under = session(server, { allowHalfOpen: true })
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.end()
    await recorder.until(() => recorder.count('end') > 0)
    expect(under.state).toBe('open')
    client.resetAndDestroy()
    // Nothing is read after the end, so the reset shows at the next write.
    expect(under.trySend(Buffer.from('too late'))).toBe(true)
    expect(await recorder.closed()).toBe(CloseReason.ClientClosing)
    expect(under.state).toBe('closed')
    expect(under.closeError).toBeDefined()
  })

  test('close before start resolves, and start then reports onClosed', async () => {
    const { server, client } = await pair()
    const under = session(server)
    const clientEnded = waitFor(client, 'end')
    client.resume()
    await withTimeout(under.close(CloseReason.ServerShutdown))
    await clientEnded
    expect(under.state).toBe('closed')
    const recorder = new SessionRecorder()
    under.start(recorder)
    expect(await recorder.closed()).toBe(CloseReason.ServerShutdown)
  })

  test('a session over a socket that already closed reports SocketError once started', async () => {
    const { server, client } = await pair()
    client.resetAndDestroy()
    await new Promise((resolve) => server.once('close', resolve))
    const under = session(server)
    expect(under.state).toBe('closed')
    expect(under.trySend(Buffer.from('x'))).toBe(false)
    const recorder = new SessionRecorder()
    under.start(recorder)
    expect(await recorder.closed()).toBe(CloseReason.SocketError)
    await withTimeout(under.close(CloseReason.ServerClosing))
  })

  test('a handler that throws closes the session with InternalError and keeps the error', async () => {
    const { server, client } = await pair()
    const under = session(server)
    const recorder = new SessionRecorder()
    const failure = new Error('handler bug')
    under.start({
      ...handlerOf(recorder),
      onData: () => {
        throw failure
      },
    })
    client.write('boom')
    expect(await recorder.closed()).toBe(CloseReason.InternalError)
    expect(under.closeError).toBe(failure)
  })
})

describe('receiving', () => {
  test('pauseReceive leaves bytes in the socket; resumeReceive delivers them', async () => {
    const { server, client } = await pair()
    const under = session(server)
    const recorder = new SessionRecorder()
    under.start(recorder)
    under.pauseReceive()
    expect(server.isPaused()).toBe(true)
    client.write('held back')
    await vi.waitFor(() => expect(server.readableLength).toBe(9), { timeout: 2_000, interval: 5 })
    expect(recorder.count('data')).toBe(0)
    under.resumeReceive()
    expect(server.isPaused()).toBe(false)
    expect((await recorder.bytes(9)).toString()).toBe('held back')
    expect(under.bytesReceived).toBe(9)
  })

  test('pauseReceive before start keeps the socket paused once started', async () => {
    const { server, client } = await pair()
    const under = session(server)
    under.pauseReceive()
    const recorder = new SessionRecorder()
    under.start(recorder)
    client.write('x')
    await vi.waitFor(() => expect(server.readableLength).toBe(1), { timeout: 2_000, interval: 5 })
    expect(recorder.count('data')).toBe(0)
    under.resumeReceive()
    await recorder.bytes(1)
  })

  test('start twice is a programming error', async () => {
    const { server } = await pair()
    const under = session(server)
    under.start(new SessionRecorder())
    let thrown: unknown
    try {
      under.start(new SessionRecorder())
    } catch (error) {
      thrown = error
    }
    expect(SocketError.isSocketError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  })
})

describe('socket options and endpoints', () => {
  test('applies noDelay and keep-alive as configured', async () => {
    const { server } = await pair()
    const noDelay = vi.spyOn(server, 'setNoDelay')
    const keepAlive = vi.spyOn(server, 'setKeepAlive')
    session(server, { keepAliveTime: 30 })
    expect(noDelay).toHaveBeenCalledWith(true)
    expect(keepAlive).toHaveBeenCalledWith(true, 30_000)
  })

  test('defaults to noDelay and a 600 s keep-alive; keepAliveTime 0 and noDelay false turn them off', async () => {
    const first = await pair()
    const noDelay = vi.spyOn(first.server, 'setNoDelay')
    const keepAlive = vi.spyOn(first.server, 'setKeepAlive')
    session(first.server)
    expect(noDelay).toHaveBeenCalledWith(true)
    expect(keepAlive).toHaveBeenCalledWith(true, 600_000)

    const second = await pair()
    const noDelayOff = vi.spyOn(second.server, 'setNoDelay')
    const keepAliveOff = vi.spyOn(second.server, 'setKeepAlive')
    session(second.server, { noDelay: false, keepAliveTime: 0 })
    expect(noDelayOff).toHaveBeenCalledWith(false)
    expect(keepAliveOff).toHaveBeenCalledWith(false, 0)
  })

  test('reports both endpoints over IPv4 and IPv6, and is not secure', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const { server, client } = await pair({ host })
      const under = session(server)
      const family = host === '::1' ? 'IPv6' : 'IPv4'
      expect(under.remoteEndPoint).toEqual({ address: host, port: client.localPort, family })
      expect(under.localEndPoint).toEqual({ address: host, port: client.remotePort, family })
      expect(under.secure).toBe(false)
      expect(under.socket).toBe(server)
      // A byte stream: no message boundary, no message size limit.
      expect([under.kind, under.maxMessageSize]).toEqual(['stream', Number.POSITIVE_INFINITY])
    }
  })

  test('keeps any port from 0 to 65535 and gives the family that goes with the address', async () => {
    const cases = [
      { address: '::ffff:127.0.0.1', remotePort: 65_535, localPort: 1, family: 'IPv6' },
      { address: '127.0.0.1', remotePort: 32_768, localPort: 65_535, family: 'IPv4' },
      { address: '::1', remotePort: 0, localPort: 40_000, family: 'IPv6' },
    ]
    for (const { address, remotePort, localPort, family } of cases) {
      // An unconnected socket that reports these endpoints (what Node reports for a connected one).
      const socket = new net.Socket()
      onTestFinished(() => {
        socket.destroy()
      })
      Object.defineProperties(socket, {
        remoteAddress: { value: address },
        remotePort: { value: remotePort },
        localAddress: { value: address },
        localPort: { value: localPort },
      })
      const under = new AsyncSocketSession(socket, init)
      expect(under.remoteEndPoint).toEqual({ address, port: remotePort, family })
      expect(under.localEndPoint).toEqual({ address, port: localPort, family })
      under.abort(CloseReason.ServerClosing)
      await withTimeout(under.close(CloseReason.ServerClosing), 5_000, 'abort')
    }
  })

  test('the endpoints stay readable after the connection closed', async () => {
    const { server, client } = await pair()
    const under = session(server)
    const recorder = new SessionRecorder()
    under.start(recorder)
    const [clientPort, serverPort] = [client.localPort, client.remotePort]
    client.resetAndDestroy()
    await recorder.closed()
    expect(under.remoteEndPoint).toEqual({ address: '127.0.0.1', port: clientPort, family: 'IPv4' })
    expect(under.localEndPoint.port).toBe(serverPort)
    expect(Object.isFrozen(under.remoteEndPoint)).toBe(true)
  })

  test('an idle session has no sending queue until it sends; what it reports meanwhile is that of an empty one', async () => {
    const { server, client } = await pair()
    const under = session(server)
    under.start(new SessionRecorder())
    expect([under.pendingBytes, under.writable]).toEqual([0, true])
    expect(under.trySendCopy('made now')).toBe(true)
    expect((await readBytes(client, 8)).toString()).toBe('made now')
  })

  test('rejects invalid options with InvalidArgumentError', async () => {
    const { server } = await pair()
    for (const bad of [
      { closeTimeOut: -1 },
      { closeTimeOut: Number.NaN },
      { keepAliveTime: -5 },
      { sendHighWaterMark: 0 },
      { sendLowWaterMark: 100_000 },
      { sendPool: {} as unknown as SmartPool },
    ]) {
      let thrown: unknown
      try {
        new AsyncSocketSession(server, { ...init, ...bad })
      } catch (error) {
        thrown = error
      }
      expect(thrown, JSON.stringify(bad)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    }
  })
})

function handlerOf(recorder: SessionRecorder): SocketSessionHandler {
  return {
    onData: (data) => recorder.onData(data),
    onWritabilityChanged: (writable) => recorder.onWritabilityChanged(writable),
    onEnd: () => recorder.onEnd(),
    onClosed: (reason) => recorder.onClosed(reason),
  }
}

describe('connecting out', () => {
  async function echoServer() {
    const server = await listenTcp((socket) => socket.pipe(socket))
    onTestFinished(() => server.close())
    return server
  }

  test('AsyncSocketSession.connect resolves with a session of the connection, not started yet', async () => {
    const peer = await echoServer()
    const under = await AsyncSocketSession.connect({ host: '127.0.0.1', port: peer.port, ...init })
    onTestFinished(() => withTimeout(under.close(CloseReason.ServerClosing), 5_000, 'cleanup close'))
    expect(under.remoteEndPoint).toEqual({ address: '127.0.0.1', port: peer.port, family: 'IPv4' })
    expect(under.state).toBe('open')
    const recorder = new SessionRecorder()
    under.start(recorder)
    expect(under.trySendCopy('over and back')).toBe(true)
    expect((await recorder.bytes(13)).toString()).toBe('over and back')
  })

  test('also over IPv6, and from a given local address', async () => {
    const peer = await listenTcp((socket) => socket.pipe(socket), { host: '::1' })
    onTestFinished(() => peer.close())
    const under = await AsyncSocketSession.connect({ host: '::1', port: peer.port, localAddress: '::1', ...init })
    onTestFinished(() => withTimeout(under.close(CloseReason.ServerClosing), 5_000, 'cleanup close'))
    expect(under.remoteEndPoint.family).toBe('IPv6')
    expect(under.localEndPoint.address).toBe('::1')
  })

  test('a refused connection rejects with ConnectError (ERR_CONNECT_FAILED), the system error as cause', async () => {
    const probe = await listenTcp()
    const port = probe.port
    await probe.close()
    const error = await AsyncSocketSession.connect({ host: '127.0.0.1', port, ...init }).catch(
      (caught: unknown) => caught,
    )
    expect(SocketError.isSocketError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'ERR_CONNECT_FAILED', cause: { code: 'ECONNREFUSED' } })
  })

  test('an attempt that does not complete within timeout rejects, and its socket is destroyed', async () => {
    // A socket that never connects stands in for an unreachable host (tests send nothing off this machine).
    const never = new net.Socket()
    const connect = vi.spyOn(net, 'connect').mockReturnValue(never)
    onTestFinished(() => connect.mockRestore())
    const error = await connectSocket({ host: '127.0.0.1', port: 9, timeout: 20 }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'ERR_CONNECT_FAILED' })
    expect((error as Error).message).toMatch(/timed out after 20 ms/)
    expect(never.destroyed).toBe(true)
  })

  test('an aborted attempt rejects with ERR_CONNECT_FAILED and the abort reason as cause', async () => {
    const peer = await echoServer()
    const reason = new Error('changed my mind')
    const early = new AbortController()
    early.abort(reason)
    await expect(connectSocket({ host: '127.0.0.1', port: peer.port, signal: early.signal })).rejects.toMatchObject({
      code: 'ERR_CONNECT_FAILED',
      cause: reason,
    })
    const never = new net.Socket()
    const connect = vi.spyOn(net, 'connect').mockReturnValue(never)
    onTestFinished(() => connect.mockRestore())
    const late = new AbortController()
    const attempt = connectSocket({ host: '127.0.0.1', port: peer.port, signal: late.signal })
    late.abort(reason)
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED', cause: reason })
    expect(never.destroyed).toBe(true)
  })

  test('bad arguments throw InvalidArgumentError at once; bad session options close the connection again', async () => {
    for (const bad of [{ host: '' }, { port: 0 }, { port: 70_000 }, { timeout: 0 }, { timeout: 1.5 }]) {
      expect(() => connectSocket({ host: '127.0.0.1', port: 1, ...bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
    const peer = await echoServer()
    await expect(
      AsyncSocketSession.connect({ host: '127.0.0.1', port: peer.port, ...init, closeTimeOut: -1 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    const accepted = await peer.nextConnection()
    await vi.waitFor(() => expect(accepted.destroyed).toBe(true), { timeout: 2_000, interval: 5 })
  })
})
