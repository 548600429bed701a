import { describe, expect, onTestFinished, test } from 'vitest'
import { bytesDiff } from './chunks.js'
import { type ComplianceHandler, SessionRecorder } from './session-recorder.js'
import type { CompliancePeer } from './stream-peer.js'
import { withTimeout } from './wait.js'

/** The session under test: the structural twin of socket-base's `SocketSession` (what the suite uses of it). */
export interface ComplianceSession {
  readonly state: 'open' | 'closing' | 'closed'
  readonly closeReason: number | undefined
  readonly pendingBytes: number
  readonly writable: boolean
  start(handler: ComplianceHandler): void
  trySend(data: Uint8Array): boolean
  trySendCopy(data: Uint8Array | string, encoding?: 'utf8' | 'latin1'): boolean
  pauseReceive(): void
  resumeReceive(): void
  close(reason: number): Promise<void>
  abort(reason: number): void
}

/** Session options the suite varies per test (socket-base's `SocketSessionInit` shape). */
export interface ComplianceSessionInit {
  sendHighWaterMark: number
  sendLowWaterMark: number
  closeTimeOut: number
  /** The send-stall deadline (ms); absent = the session's default (off). */
  sendStallTimeOut?: number
}

/** What `setup` returns: a fresh, not yet started session connected to a peer. */
export interface ComplianceFixture {
  readonly session: ComplianceSession
  readonly peer: CompliancePeer
  /** Release anything else `setup` made (servers, listeners); runs after the peer and the session are closed. */
  cleanup?(): void | Promise<void>
}

/** The `CloseReason` values the suite checks (pass socket-base's `CloseReason`). */
export interface ComplianceCloseReasons {
  readonly ClientClosing: number
  readonly ServerClosing: number
  readonly SocketError: number
  readonly ApplicationError: number
  readonly TimeOut: number
  readonly ServerShutdown: number
}

/** Options of {@link sessionCompliance}. */
export interface SessionComplianceOptions {
  /** Suite name, e.g. `'AsyncSocketSession'`. */
  name: string
  /** socket-base's `CloseReason`. */
  closeReasons: ComplianceCloseReasons
  /**
   * A stream transport (TCP, TLS): also runs the FIN, reset, slow-reader and send-stall tests, which need the
   * optional {@link CompliancePeer} members (`end`, `reset`, `pause`, `resume`, `ended`, `discard`).
   */
  stream: boolean
  /** Make a fresh session (not started) and its connected peer for `init`. */
  setup(init: ComplianceSessionInit): Promise<ComplianceFixture>
}

const defaultInit: ComplianceSessionInit = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 2_000 }

function payload(size: number, seed = 0): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  for (let index = 0; index < size; index += 1) bytes[index] = (index * 31 + seed) & 0xff
  return bytes
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`sessionCompliance: a stream peer must implement ${name}()`)
  return value
}

/**
 * Register the behaviour every socket session must show (the contract of socket-base's `SocketSession`) as a
 * vitest `describe` block: echo, ordering, buffer ownership, copies and strings, the high/low water marks and the
 * writability signal (`writable`, `onWritabilityChanged`), close
 * draining, first-reason-wins, idempotent close, exactly one `onClosed`, pause/resume; for stream transports
 * also FIN → `ClientClosing`, reset → `SocketError`, the close deadline against a peer that does not read, and the
 * send-stall deadline (`sendStallTimeOut`: a peer that reads nothing is closed with `TimeOut`, a slow but steady
 * reader and a session with nothing queued are not).
 * session-async, session-tls and session-udp run it with their own `setup`.
 *
 * @example
 * ```ts
 * sessionCompliance({
 *   name: 'AsyncSocketSession',
 *   closeReasons: CloseReason,
 *   stream: true,
 *   async setup(init) {
 *     const pair = await tcpSocketPair()
 *     return { session: new AsyncSocketSession(pair.server, init), peer: streamPeer(pair.client), cleanup: pair.close }
 *   },
 * })
 * ```
 */
export function sessionCompliance(options: SessionComplianceOptions): void {
  const reasons = options.closeReasons

  async function open(init: Partial<ComplianceSessionInit> = {}): Promise<ComplianceFixture> {
    const fixture = await options.setup({ ...defaultInit, ...init })
    // onTestFinished runs last-registered first: peer, then session, then the fixture's own cleanup.
    onTestFinished(async () => {
      await fixture.cleanup?.()
    })
    onTestFinished(async () => {
      await withTimeout(fixture.session.close(reasons.ServerClosing), 5_000, 'the session to close in cleanup')
    })
    onTestFinished(() => fixture.peer.close())
    return fixture
  }

  describe(`${options.name} (session compliance)`, () => {
    test('echoes bytes back to the peer', async () => {
      const { session, peer } = await open()
      session.start(new SessionRecorder({ echo: session }))
      const message = Buffer.from('hello, compliance')
      peer.write(message)
      expect(bytesDiff(await peer.read(message.length), message)).toBeUndefined()
      expect(session.state).toBe('open')
    })

    test('keeps the order of many small sends', async () => {
      const { session, peer } = await open()
      session.start(new SessionRecorder())
      const count = 200
      const expected = Buffer.alloc(count * 4)
      for (let index = 0; index < count; index += 1) {
        const item = Buffer.alloc(4)
        item.writeUInt32BE(index)
        item.copy(expected, index * 4)
        expect(session.trySend(item)).toBe(true)
      }
      expect(bytesDiff(await peer.read(expected.length), expected)).toBeUndefined()
    })

    test('hands onData buffers that it never reuses', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      let total = 0
      for (let index = 0; index < 5; index += 1) {
        const message = payload(100 + index, index)
        peer.write(message)
        total += message.length
        await recorder.bytes(total)
      }
      const received = recorder.received
      expect(received.length).toBeGreaterThanOrEqual(1)
      for (let index = 0; index < received.length; index += 1) {
        expect(bytesDiff(received[index] as Buffer, recorder.snapshots[index] as Buffer)).toBeUndefined()
      }
      expect(
        bytesDiff(recorder.receivedBytes, Buffer.concat([0, 1, 2, 3, 4].map((index) => payload(100 + index, index)))),
      ).toBeUndefined()
    })

    test('trySendCopy copies bytes and encodes strings: the caller may reuse its buffer at once', async () => {
      const { session, peer } = await open()
      session.start(new SessionRecorder())
      const reused = Buffer.from('first;')
      expect(session.trySendCopy(reused)).toBe(true)
      reused.write('XXXXX;')
      expect(session.trySendCopy(reused)).toBe(true)
      expect(session.trySendCopy('héllo;')).toBe(true)
      expect(session.trySendCopy('héllo;', 'latin1')).toBe(true)
      expect(session.trySend(Buffer.from('owned;'))).toBe(true)
      const expected = Buffer.concat([
        Buffer.from('first;XXXXX;'),
        Buffer.from('héllo;', 'utf8'),
        Buffer.from('héllo;', 'latin1'),
        Buffer.from('owned;'),
      ])
      expect(session.pendingBytes).toBe(expected.length)
      expect(bytesDiff(await peer.read(expected.length), expected)).toBeUndefined()
    })

    test('counts queued bytes in pendingBytes until they are written', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 1_000, sendLowWaterMark: 0 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      expect(session.pendingBytes).toBe(0)
      expect(session.trySend(payload(600))).toBe(true)
      expect(session.trySendCopy(payload(400, 1))).toBe(true)
      expect(session.pendingBytes).toBe(1_000)
      expect(session.writable).toBe(false)
      // The queue reached the high mark, so with the low mark 0 it is writable again once everything was written.
      await recorder.drained()
      expect(session.pendingBytes).toBe(0)
      expect(session.writable).toBe(true)
      expect(recorder.writabilityChanges).toEqual([false, true])
      expect(bytesDiff(await peer.read(1_000), Buffer.concat([payload(600), payload(400, 1)]))).toBeUndefined()
    })

    test('accepts up to the high water mark, refuses what does not fit, and signals writability', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 1_024, sendLowWaterMark: 512 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      expect(session.writable).toBe(true)
      expect(session.trySend(payload(1_000))).toBe(true)
      expect(session.writable).toBe(true)
      expect(session.trySend(payload(24, 1))).toBe(true)
      expect(session.writable).toBe(false)
      expect(session.trySend(payload(1, 2))).toBe(false)
      expect(session.trySendCopy('x')).toBe(false)
      expect(session.pendingBytes).toBe(1_024)
      expect(bytesDiff(await peer.read(1_024), Buffer.concat([payload(1_000), payload(24, 1)]))).toBeUndefined()
      await recorder.drained()
      expect(recorder.writabilityChanges).toEqual([false, true])
      expect(session.writable).toBe(true)
      expect(session.trySend(payload(3, 3))).toBe(true)
      expect(bytesDiff(await peer.read(3), payload(3, 3))).toBeUndefined()
    })

    test('reports a writability change made by trySend later, never from inside it', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 100, sendLowWaterMark: 0 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      expect(session.trySend(payload(100))).toBe(true)
      expect(session.writable).toBe(false)
      expect(recorder.writabilityChanges).toEqual([])
      await recorder.unwritable()
      expect(bytesDiff(await peer.read(100), payload(100))).toBeUndefined()
      await recorder.drained()
      expect(recorder.writabilityChanges).toEqual([false, true])
    })

    test('accepts one payload larger than the high water mark into an empty queue', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 1_024, sendLowWaterMark: 512 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      const big = payload(2_048)
      expect(session.trySend(big)).toBe(true)
      expect(session.trySend(payload(1))).toBe(false)
      expect(bytesDiff(await peer.read(2_048), big)).toBeUndefined()
      await recorder.drained()
      expect(session.trySend(payload(1, 7))).toBe(true)
      expect(bytesDiff(await peer.read(1), payload(1, 7))).toBeUndefined()
    })

    test('close drains what was queued before it, then reports onClosed once and resolves', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      const parts = [payload(10), payload(2_000, 1), payload(5, 2)]
      for (const part of parts) expect(session.trySend(part)).toBe(true)
      let resolvedAfterClosed: boolean | undefined
      const closing = session.close(reasons.ServerClosing).then(() => {
        resolvedAfterClosed = recorder.count('closed') === 1
      })
      expect(session.state).toBe('closing')
      expect(session.closeReason).toBe(reasons.ServerClosing)
      expect(bytesDiff(await peer.read(2_015), Buffer.concat(parts))).toBeUndefined()
      if (options.stream) await required(peer.ended, 'ended')()
      await withTimeout(closing, 2_000, 'close()')
      expect(resolvedAfterClosed).toBe(true)
      expect(session.state).toBe('closed')
      expect(recorder.closedReasons).toEqual([reasons.ServerClosing])
      expect(session.pendingBytes).toBe(0)
    })

    test('close is idempotent and the first reason wins', async () => {
      const { session } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      const first = session.close(reasons.ServerClosing)
      const second = session.close(reasons.ApplicationError)
      expect(second).toBe(first)
      expect(session.closeReason).toBe(reasons.ServerClosing)
      await withTimeout(first, 2_000, 'close()')
      await withTimeout(session.close(reasons.SocketError), 2_000, 'close() after closed')
      await new Promise((resolve) => setImmediate(resolve))
      expect(session.closeReason).toBe(reasons.ServerClosing)
      expect(recorder.closedReasons).toEqual([reasons.ServerClosing])
    })

    test('refuses trySend once closing and after closed, and is not writable then', async () => {
      const { session } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      const closing = session.close(reasons.ServerClosing)
      expect(session.trySend(payload(1))).toBe(false)
      expect(session.trySendCopy('x')).toBe(false)
      expect(session.writable).toBe(false)
      await withTimeout(closing, 2_000, 'close()')
      expect(session.state).toBe('closed')
      expect(session.trySend(payload(1))).toBe(false)
      expect(session.pendingBytes).toBe(0)
      expect(recorder.writabilityChanges).toEqual([])
    })

    test('abort closes at once with its reason, exactly one onClosed, and close() resolves', async () => {
      const { session } = await open({ closeTimeOut: 60_000 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      session.abort(reasons.ServerShutdown)
      session.abort(reasons.ApplicationError)
      await withTimeout(session.close(reasons.ServerClosing), 2_000, 'close() after abort')
      expect(session.state).toBe('closed')
      expect(session.closeReason).toBe(reasons.ServerShutdown)
      expect(recorder.closedReasons).toEqual([reasons.ServerShutdown])
      expect(session.trySend(payload(1))).toBe(false)
    })

    if (!options.stream) return

    test('holds back what arrives while receiving is paused, and delivers it once resumed', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      session.pauseReceive()
      peer.write(Buffer.from('while paused'))
      // A round trip the other way gives the bytes time to arrive: a session that kept reading would deliver them.
      expect(session.trySend(Buffer.from('ping'))).toBe(true)
      expect((await peer.read(4)).toString()).toBe('ping')
      // The bytes were in the session's socket before 'ping' left; let this loop turn's I/O callbacks finish.
      await new Promise((resolve) => setImmediate(resolve))
      expect(recorder.count('data')).toBe(0)
      session.resumeReceive()
      expect((await recorder.bytes(12)).toString()).toBe('while paused')
    })

    test('delivers bytes the peer sent before start', async () => {
      const { session, peer } = await open()
      peer.write(Buffer.from('early'))
      const recorder = new SessionRecorder()
      session.start(recorder)
      expect((await recorder.bytes(5)).toString()).toBe('early')
    })

    test('reports a FIN as ClientClosing, after the bytes before it and onEnd', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      peer.write(Buffer.from('last words'))
      required(peer.end, 'end')()
      expect(await recorder.closed()).toBe(reasons.ClientClosing)
      expect(recorder.receivedBytes.toString()).toBe('last words')
      expect(recorder.sequence()).toEqual(['data', 'end', 'closed'])
      expect(session.closeReason).toBe(reasons.ClientClosing)
      expect(session.state).toBe('closed')
      expect(session.trySend(payload(1))).toBe(false)
    })

    test('still delivers what was queued when the FIN arrived', async () => {
      const { session, peer } = await open()
      const reply = payload(50_000, 9)
      const recorder = new SessionRecorder()
      session.start({
        onData: (data) => {
          recorder.onData(data)
          session.trySend(reply)
        },
        onWritabilityChanged: (writable) => recorder.onWritabilityChanged(writable),
        onEnd: () => recorder.onEnd(),
        onClosed: (reason) => recorder.onClosed(reason),
      })
      peer.write(Buffer.from('request'))
      required(peer.end, 'end')()
      expect(bytesDiff(await peer.read(reply.length), reply)).toBeUndefined()
      await required(peer.ended, 'ended')()
      expect(await recorder.closed()).toBe(reasons.ClientClosing)
    })

    test('reports a reset as SocketError', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      peer.write(Buffer.from('x'))
      await recorder.bytes(1)
      required(peer.reset, 'reset')()
      expect(await recorder.closed()).toBe(reasons.SocketError)
      expect(session.state).toBe('closed')
      expect(recorder.closedReasons).toEqual([reasons.SocketError])
    })

    test('keeps the first reason when the connection fails while closing', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 16 * 1_048_576, closeTimeOut: 10_000 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      required(peer.pause, 'pause')()
      expect(session.trySend(Buffer.alloc(8 * 1_048_576))).toBe(true)
      const closing = session.close(reasons.ServerClosing)
      // 8 MiB cannot drain into a peer that does not read: the session is still closing when the reset arrives.
      required(peer.reset, 'reset')()
      await withTimeout(closing, 2_000, 'close()')
      expect(recorder.closedReasons).toEqual([reasons.ServerClosing])
      expect(session.closeReason).toBe(reasons.ServerClosing)
    })

    test('gives up draining after closeTimeOut when the peer does not read', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 16 * 1_048_576, closeTimeOut: 100 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      required(peer.pause, 'pause')()
      expect(session.trySend(Buffer.alloc(8 * 1_048_576))).toBe(true)
      const closing = session.close(reasons.ServerClosing)
      await withTimeout(closing, 3_000, 'close() of a session whose peer does not read')
      expect(session.state).toBe('closed')
      expect(recorder.closedReasons).toEqual([reasons.ServerClosing])
      expect(session.pendingBytes).toBe(0)
    })

    test('abort cuts a drain short: what is still queued is dropped, the first reason stays', async () => {
      const { session, peer } = await open({ sendHighWaterMark: 16 * 1_048_576, closeTimeOut: 60_000 })
      const recorder = new SessionRecorder()
      session.start(recorder)
      required(peer.pause, 'pause')()
      expect(session.trySend(Buffer.alloc(8 * 1_048_576))).toBe(true)
      const closing = session.close(reasons.ServerClosing)
      session.abort(reasons.ServerShutdown)
      await withTimeout(closing, 2_000, 'close() of a draining session that was aborted')
      expect(session.state).toBe('closed')
      expect(recorder.closedReasons).toEqual([reasons.ServerClosing])
      expect(session.pendingBytes).toBe(0)
    })

    test('closes with TimeOut a session whose peer takes none of its queued bytes for sendStallTimeOut', async () => {
      const stall = 300
      const { session, peer } = await open({
        sendHighWaterMark: 1_048_576,
        sendLowWaterMark: 524_288,
        sendStallTimeOut: stall,
      })
      const chunk = Buffer.alloc(64 * 1_024, 3)
      const fill = (): void => {
        while (session.trySend(Buffer.from(chunk))) {}
      }
      const recorder = new SessionRecorder()
      session.start({
        onData: (data) => recorder.onData(data),
        // Keep the queue full: whatever the kernel's socket buffers take (they grow to tens of MiB on loopback),
        // they fill up, and then the write in flight cannot complete while the peer reads nothing.
        onWritabilityChanged: (writable) => {
          recorder.onWritabilityChanged(writable)
          if (writable) fill()
        },
        onClosed: (reason) => recorder.onClosed(reason),
      })
      required(peer.pause, 'pause')()
      const started = performance.now()
      fill()
      expect(await recorder.closed(10_000)).toBe(reasons.TimeOut)
      // Not before the deadline (less a little for the loop's cached clock); the upper bound is the wait above.
      expect(performance.now() - started).toBeGreaterThanOrEqual(stall - 20)
      expect(session.state).toBe('closed')
      expect(session.pendingBytes).toBe(0)
      expect(recorder.closedReasons).toEqual([reasons.TimeOut])
    })

    test('does not close a slow but steady reader: each write it lets complete starts the clock again', async () => {
      // Long enough that a loaded machine's scheduling delays between two reads stay well inside it.
      const stall = 1_000
      const { session, peer } = await open({
        sendHighWaterMark: 256 * 1_024,
        sendLowWaterMark: 128 * 1_024,
        sendStallTimeOut: stall,
      })
      const chunk = Buffer.alloc(64 * 1_024, 7)
      let sending = true
      const fill = (): void => {
        while (sending && session.trySend(Buffer.from(chunk))) {}
      }
      const recorder = new SessionRecorder()
      session.start({
        onData: (data) => recorder.onData(data),
        onWritabilityChanged: (writable) => {
          recorder.onWritabilityChanged(writable)
          if (writable) fill()
        },
        onClosed: (reason) => recorder.onClosed(reason),
      })
      const pause = required(peer.pause, 'pause')
      const resume = required(peer.resume, 'resume')
      const discard = required(peer.discard, 'discard')
      pause()
      fill()
      // For three deadlines the peer reads in bursts 100 ms apart, each just long enough for the session's writes to
      // move on (its queue fell below the low mark), then stops reading again: the session keeps a full queue all
      // along, and its writes complete only when the peer reads.
      const started = performance.now()
      let taken = 0
      for (let round = 0; round < 100 && performance.now() - started < 3 * stall; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        expect(session.state, `round ${round}`).toBe('open')
        const drains = recorder.drainCount
        resume()
        await recorder.until(() => recorder.drainCount > drains || session.state !== 'open', 2_000, 'progress')
        pause()
        taken += discard()
      }
      sending = false
      expect(session.state).toBe('open')
      expect(recorder.count('closed')).toBe(0)
      expect(taken).toBeGreaterThan(2 * 1_048_576)
    })

    test('never closes a session with nothing queued, even if its peer reads nothing', async () => {
      const stall = 100
      const { session, peer } = await open({ sendHighWaterMark: 1_024, sendLowWaterMark: 0, sendStallTimeOut: stall })
      const recorder = new SessionRecorder()
      session.start(recorder)
      required(peer.pause, 'pause')()
      // A reply the kernel takes at once (the peer has not read it): the queue is empty again once it is writable.
      expect(session.trySend(Buffer.alloc(1_024))).toBe(true)
      await recorder.drained()
      // Five deadlines with nothing queued: the session stays open.
      await expect(recorder.closed(5 * stall)).rejects.toThrow()
      expect(session.state).toBe('open')
      expect(session.pendingBytes).toBe(0)
    })

    test('delivers nothing after close was called', async () => {
      const { session, peer } = await open()
      const recorder = new SessionRecorder()
      session.start(recorder)
      peer.write(Buffer.from('a'))
      await recorder.bytes(1)
      const closing = session.close(reasons.ServerClosing)
      peer.write(Buffer.from('ignored'))
      await required(peer.ended, 'ended')()
      await withTimeout(closing, 2_000, 'close()')
      expect(recorder.receivedBytes.toString()).toBe('a')
      expect(recorder.sequence()).toEqual(['data', 'closed'])
    })
  })
}
