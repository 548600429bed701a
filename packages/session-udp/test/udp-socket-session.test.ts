import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason, type EndPoint, SocketError } from '@socketlite/socket-base'
import { SessionRecorder, seededRandom, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { UdpSocketSession, type UdpSocketSessionInit } from '../src/index.js'
import { local, loopback, ManualSender, sessionDefaults } from './helpers.js'

function makeSession(init: Partial<UdpSocketSessionInit> = {}): { session: UdpSocketSession; sender: ManualSender } {
  const sender = (init.sender as ManualSender | undefined) ?? new ManualSender()
  const session = new UdpSocketSession({
    ...sessionDefaults,
    sender,
    remoteEndPoint: loopback,
    localEndPoint: local,
    ...init,
  })
  onTestFinished(async () => {
    sender.complete()
    await withTimeout(session.close(CloseReason.ServerClosing), 3_000, 'the session to close')
  })
  return { session, sender }
}

function datagram(index: number): Buffer {
  const data = Buffer.alloc(4)
  data.writeUInt32BE(index)
  return data
}

function indexes(recorder: SessionRecorder): number[] {
  return recorder.received.map((data) => data.readUInt32BE(0))
}

describe('UdpSocketSession: receiving', () => {
  test('delivers each datagram whole, one onData call per datagram, in order', () => {
    const { session } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    for (let index = 0; index < 10; index += 1) expect(session.receive(datagram(index))).toBe(true)
    expect(indexes(recorder)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(session.datagramsReceived).toBe(10)
    expect(session.bytesReceived).toBe(40)
  })

  test('queues datagrams that arrive before start and delivers them at start, in order', () => {
    const { session } = makeSession()
    session.receive(datagram(1))
    session.receive(datagram(2))
    expect(session.queuedDatagrams).toBe(2)
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(indexes(recorder)).toEqual([1, 2])
    expect(session.queuedDatagrams).toBe(0)
  })

  test('a pause before start holds the early datagrams until resumed', () => {
    const { session } = makeSession()
    session.receive(datagram(1))
    session.pauseReceive()
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(recorder.count('data')).toBe(0)
    session.receive(datagram(2))
    session.resumeReceive()
    expect(indexes(recorder)).toEqual([1, 2])
  })

  test('holds datagrams while paused and delivers them in order on resume', () => {
    const { session } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.receive(datagram(0))
    session.pauseReceive()
    for (let index = 1; index <= 5; index += 1) session.receive(datagram(index))
    expect(indexes(recorder)).toEqual([0])
    expect(session.queuedDatagrams).toBe(5)
    session.resumeReceive()
    expect(indexes(recorder)).toEqual([0, 1, 2, 3, 4, 5])
  })

  test('drops and counts datagrams beyond maxQueuedDatagrams while paused', () => {
    const { session } = makeSession({ maxQueuedDatagrams: 3 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.pauseReceive()
    const accepted = [1, 2, 3, 4, 5].map((index) => session.receive(datagram(index)))
    expect(accepted).toEqual([true, true, true, false, false])
    expect(session.droppedDatagrams).toBe(2)
    session.resumeReceive()
    expect(indexes(recorder)).toEqual([1, 2, 3])
    expect(session.receive(datagram(6))).toBe(true)
    expect(indexes(recorder)).toEqual([1, 2, 3, 6])
  })

  test('drops and counts datagrams that would take the waiting bytes past maxQueuedBytes (1 MiB by default)', () => {
    const { session } = makeSession({ maxQueuedBytes: 10 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.pauseReceive()
    const accepted = [4, 4, 4, 2, 1].map((size, index) => session.receive(Buffer.alloc(size, index)))
    expect(accepted).toEqual([true, true, false, true, false])
    expect(session.queuedBytes).toBe(10)
    expect(session.droppedDatagrams).toBe(2)
    session.resumeReceive()
    expect(recorder.received.map((data) => data.length)).toEqual([4, 4, 2])
    expect(session.queuedBytes).toBe(0)
    const byDefault = makeSession().session
    byDefault.pauseReceive()
    let kept = 0
    while (byDefault.receive(Buffer.alloc(65_507)) && kept < 100) kept += 1
    expect(kept).toBe(Math.floor(1_048_576 / 65_507))
    expect(byDefault.queuedBytes).toBeLessThanOrEqual(1_048_576)
  })

  test('a handler that pauses from onData stops the delivery of the queued datagrams at once', () => {
    const { session } = makeSession()
    const seen: number[] = []
    session.start({
      onData: (data) => {
        seen.push(data.readUInt32BE(0))
        session.pauseReceive()
      },
      onClosed: () => {},
    })
    session.pauseReceive()
    for (let index = 0; index < 4; index += 1) session.receive(datagram(index))
    for (let step = 1; step <= 4; step += 1) {
      session.resumeReceive()
      expect(seen).toHaveLength(step)
    }
    expect(seen).toEqual([0, 1, 2, 3])
  })

  test('keeps the order when a datagram arrives while onData runs (re-entrant receive)', () => {
    const { session } = makeSession()
    const seen: number[] = []
    session.start({
      onData: (data) => {
        const index = data.readUInt32BE(0)
        seen.push(index)
        if (index < 5) session.receive(datagram(index + 10))
      },
      onClosed: () => {},
    })
    session.receive(datagram(0))
    session.receive(datagram(1))
    expect(seen).toEqual([0, 10, 1, 11])
  })

  test('keeps strict order under a long random sequence of pauses, resumes and arrivals', () => {
    const { session } = makeSession({ maxQueuedDatagrams: 100_000 })
    const seen: number[] = []
    const random = seededRandom(2024)
    let paused = false
    session.start({
      onData: (data) => {
        seen.push(data.readUInt32BE(0))
        if (random() < 0.2) {
          paused = true
          session.pauseReceive()
        }
      },
      onClosed: () => {},
    })
    let next = 0
    for (let step = 0; step < 20_000; step += 1) {
      if (random() < 0.7) session.receive(datagram(next++))
      else if (paused) {
        paused = false
        session.resumeReceive()
      }
    }
    paused = false
    session.resumeReceive()
    for (let attempt = 0; attempt < 10_000 && seen.length < next; attempt += 1) {
      paused = false
      session.resumeReceive()
    }
    expect(seen.length).toBe(next)
    expect(seen.every((value, index) => value === index)).toBe(true)
    expect(session.droppedDatagrams).toBe(0)
  })

  test('delivers nothing once closing, and counts what it drops', async () => {
    const { session } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.pauseReceive()
    session.receive(datagram(1))
    const closing = session.close(CloseReason.ServerClosing)
    expect(session.receive(datagram(2))).toBe(false)
    await withTimeout(closing, 2_000, 'close()')
    expect(session.receive(datagram(3))).toBe(false)
    expect(recorder.count('data')).toBe(0)
    expect(session.droppedDatagrams).toBe(3)
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
  })
})

describe('UdpSocketSession: sending', () => {
  test('sends one datagram per trySend to the current remote endpoint', async () => {
    const { session, sender } = makeSession()
    session.start(new SessionRecorder())
    expect(session.trySend(Buffer.from('a'))).toBe(true)
    expect(session.trySend(Buffer.from('bc'))).toBe(true)
    expect(session.trySend(Buffer.alloc(0))).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => item.data.toString())).toEqual(['a', 'bc', ''])
    expect(sender.sent.every((item) => item.remote === session.remoteEndPoint)).toBe(true)
  })

  test('trySendCopy: each copy (or encoded string) is one datagram, also with a chunk pool', async () => {
    const { session, sender } = makeSession({ sendPool: new SmartPool({ chunkSize: 8, maxChunks: 2 }) })
    session.start(new SessionRecorder())
    const reused = Buffer.from('abc')
    expect(session.trySendCopy(reused)).toBe(true)
    reused.fill(0x7a)
    expect(session.trySendCopy('dé')).toBe(true)
    expect(session.trySendCopy('fg', 'latin1')).toBe(true)
    expect(session.trySendCopy('')).toBe(true)
    expect(session.trySendCopy(Buffer.from('a longer datagram'))).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => item.data.toString())).toEqual(['abc', 'dé', 'fg', '', 'a longer datagram'])
  })

  test('trySendCopy refuses a string whose encoding is larger than one datagram', async () => {
    const { session, sender } = makeSession({ sender: new ManualSender(100) })
    session.start(new SessionRecorder())
    expect(session.trySendCopy('é'.repeat(51))).toBe(false) // 102 bytes
    expect(session.trySendCopy('é'.repeat(50))).toBe(true) // 100 bytes
    expect(session.trySendCopy(Buffer.alloc(101))).toBe(false)
    expect(session.trySendCopy(7 as unknown as string)).toBe(false)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => item.data.length)).toEqual([100])
  })

  test('refuses a payload larger than one datagram, accepts exactly the limit', async () => {
    const { session, sender } = makeSession({ sender: new ManualSender(100) })
    session.start(new SessionRecorder())
    expect(session.maxDatagramSize).toBe(100)
    // The contract says what it is: datagrams, one message at most this large.
    expect([session.kind, session.maxMessageSize]).toEqual(['datagram', 100])
    expect(session.trySend(Buffer.alloc(101))).toBe(false)
    expect(session.pendingBytes).toBe(0)
    expect(session.trySend(Buffer.alloc(100))).toBe(true)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => item.data.length)).toEqual([100])
  })

  test('counts bytes handed to the socket until it reports them sent, with the water marks', async () => {
    const { session, sender } = makeSession({ sendHighWaterMark: 1_000, sendLowWaterMark: 100 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySend(Buffer.alloc(600))).toBe(true)
    expect(session.trySend(Buffer.alloc(400))).toBe(true)
    expect(session.trySend(Buffer.alloc(1))).toBe(false)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.outstanding).toBe(2)
    expect(session.pendingBytes).toBe(1_000)
    sender.complete(1)
    expect(session.pendingBytes).toBe(1_000) // one batch: done when every datagram of it is sent
    expect(recorder.drainCount).toBe(0)
    sender.complete(1)
    expect(session.pendingBytes).toBe(0)
    await recorder.drained()
    expect(session.datagramsSent).toBe(2)
    expect(session.bytesSent).toBe(1_000)
  })

  test('a send that fills the queue is reported unwritable, then writable, even when its datagram left at once', async () => {
    // A sender that reports every datagram sent synchronously: the queue is writable again before the next tick.
    class ImmediateSender extends ManualSender {
      override send(data: Uint8Array, remote: EndPoint, callback: (error: Error | null) => void): void {
        super.send(data, remote, callback)
        this.complete()
      }
    }
    const { session } = makeSession({ sender: new ImmediateSender(), sendHighWaterMark: 10, sendLowWaterMark: 0 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    expect(session.trySend(Buffer.alloc(1))).toBe(false) // a refused sender...
    await recorder.drained() // ...always hears of the room
    expect(recorder.writabilityChanges).toEqual([false, true])
    expect(session.writable).toBe(true)
  })

  test('replies go to the new endpoint after the peer roamed', async () => {
    const { session, sender } = makeSession()
    session.start(new SessionRecorder())
    session.trySend(Buffer.from('before'))
    await new Promise((resolve) => setImmediate(resolve))
    sender.complete()
    const moved = { address: '127.0.0.1', port: 40_002, family: 'IPv4' } as const
    session.updateRemoteEndPoint(moved)
    expect(session.remoteEndPoint).toEqual(moved)
    session.trySend(Buffer.from('after'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => [item.data.toString(), item.remote.port])).toEqual([
      ['before', 40_000],
      ['after', 40_002],
    ])
    expect(() => session.updateRemoteEndPoint({ address: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  test('a send error closes the session with SocketError', async () => {
    const { session, sender } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.trySend(Buffer.from('x'))
    await new Promise((resolve) => setImmediate(resolve))
    const failure = Object.assign(new Error('send failed'), { code: 'EPERM' })
    sender.complete(1, failure)
    expect(await recorder.closed()).toBe(CloseReason.SocketError)
    expect(session.closeError).toBe(failure)
  })
})

describe('UdpSocketSession: closing', () => {
  test('close sends what was queued, then closes', async () => {
    const { session, sender } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.trySend(Buffer.from('last'))
    const closing = session.close(CloseReason.ServerClosing)
    expect(session.state).toBe('closing')
    await new Promise((resolve) => setImmediate(resolve))
    expect(sender.sent.map((item) => item.data.toString())).toEqual(['last'])
    sender.complete()
    await withTimeout(closing, 2_000, 'close()')
    expect(session.state).toBe('closed')
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
  })

  test('gives up after closeTimeOut when the socket never reports the queued datagrams sent', async () => {
    const { session } = makeSession({ closeTimeOut: 50 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    session.trySend(Buffer.from('stuck'))
    await withTimeout(session.close(CloseReason.TimeOut), 2_000, 'close() with a stuck sender')
    expect(recorder.closedReasons).toEqual([CloseReason.TimeOut])
    expect(session.pendingBytes).toBe(0)
  })
})

describe('UdpSocketSession: options', () => {
  test('refuses invalid options', () => {
    const base = { ...sessionDefaults, sender: new ManualSender(), remoteEndPoint: loopback, localEndPoint: local }
    const invalid: Partial<UdpSocketSessionInit>[] = [
      { sender: {} as never },
      { remoteEndPoint: { address: '127.0.0.1', port: -1, family: 'IPv4' } },
      { localEndPoint: undefined as never },
      { maxQueuedDatagrams: 0 },
      { maxQueuedBytes: 0 },
      { closeTimeOut: -1 },
      { sendHighWaterMark: 0 },
    ]
    for (const change of invalid) {
      let error: unknown
      try {
        new UdpSocketSession({ ...base, ...change })
      } catch (caught) {
        error = caught
      }
      expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_ARGUMENT')
    }
  })

  test('is not secure and reports its endpoints', () => {
    const { session } = makeSession()
    expect(session.secure).toBe(false)
    expect(session.remoteEndPoint).toEqual(loopback)
    expect(session.localEndPoint).toEqual(local)
    expect(Object.isFrozen(session.remoteEndPoint)).toBe(true)
  })
})

describe('UdpSocketSession: sendStallTimeOut', () => {
  test('a datagram send that never completes closes the session with TimeOut after sendStallTimeOut', async () => {
    const { session, sender } = makeSession({ sendStallTimeOut: 100 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySend(Buffer.from('reply'))).toBe(true)
    expect(session.trySend(Buffer.from('waits behind it'))).toBe(true)
    expect(await recorder.closed(3_000)).toBe(CloseReason.TimeOut)
    expect(sender.outstanding).toBe(2) // both left in one batch, and neither send completed
    expect(session.sendStalled).toBe(true)
    expect(session.pendingBytes).toBe(0)
  })

  test('sends that complete keep the session open, and so does having nothing to send', async () => {
    const { session, sender } = makeSession({ sendStallTimeOut: 100 })
    const recorder = new SessionRecorder()
    session.start(recorder)
    // Ten sends, each completing after 60 ms (under the deadline): 600 ms in all with a send always in flight.
    for (let index = 0; index < 10; index += 1) {
      expect(session.trySend(datagram(index))).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 60))
      sender.complete()
    }
    expect(session.state).toBe('open')
    await expect(recorder.closed(300)).rejects.toThrow()
    expect(session.state).toBe('open')
    expect(session.sendStalled).toBe(false)
  })

  test('off by default: a send that never completes leaves the session open', async () => {
    const { session, sender } = makeSession()
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(session.trySend(Buffer.from('reply'))).toBe(true)
    await expect(recorder.closed(300)).rejects.toThrow()
    expect(sender.outstanding).toBe(1)
    expect(session.state).toBe('open')
  })
})
