import type net from 'node:net'
import { CloseReason, SocketError, type SocketSessionHandler } from '@socketlite/socket-base'
import {
  bytesDiff,
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
import { AsyncSocketSession, type AsyncSocketSessionInit } from '../src/index.js'

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
  test('many trySends in one tick leave in one gather write', async () => {
    const { server, client } = await pair()
    const writev = vi.spyOn(server, '_writev')
    const write = vi.spyOn(server, '_write')
    const under = session(server)
    under.start(new SessionRecorder())
    const parts = Array.from({ length: 50 }, (_, index) => Buffer.from(`message ${index};`))
    for (const part of parts) expect(under.trySend(part)).toBe(true)
    expect(writev).not.toHaveBeenCalled()
    const expected = Buffer.concat(parts)
    expect(bytesDiff(await readBytes(client, expected.length), expected)).toBeUndefined()
    expect(writev).toHaveBeenCalledTimes(1)
    expect(writev.mock.calls[0]?.[0]).toHaveLength(50)
    expect(write).not.toHaveBeenCalled()
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

  test('counts unflushed socket bytes: refuses above the high mark while the peer does not read, drains after', async () => {
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
    expect(recorder.drainCount).toBe(0)
    client.resume()
    await recorder.drained()
    expect(under.pendingBytes).toBeLessThan(64 * 1_024)
    expect(under.trySend(chunk)).toBe(true)
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
  })

  test('a lost write callback cannot keep the session open past closeTimeOut; onClosed comes once', async () => {
    const { server } = await pair()
    // Simulate Node's cork pitfall: the gather write's callback never comes.
    vi.spyOn(server, '_writev').mockImplementation(() => {})
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
    }
  })

  test('rejects invalid options with InvalidArgumentError', async () => {
    const { server } = await pair()
    for (const bad of [
      { closeTimeOut: -1 },
      { closeTimeOut: Number.NaN },
      { keepAliveTime: -5 },
      { sendHighWaterMark: 0 },
      { sendLowWaterMark: 100_000 },
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
    onDrain: () => recorder.onDrain(),
    onEnd: () => recorder.onEnd(),
    onClosed: (reason) => recorder.onClosed(reason),
  }
}
