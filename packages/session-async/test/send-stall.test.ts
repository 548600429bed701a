import { CloseReason, InvalidArgumentError } from '@socketlite/socket-base'
import { SessionRecorder } from '@socketlite/testing'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SocketSessionInit } from '../src/index.js'
import { ManualTransportSession } from './fixtures/manual-transport.js'

const base: SocketSessionInit = { sendHighWaterMark: 1_024, sendLowWaterMark: 512, closeTimeOut: 60_000 }

function open(init: Partial<SocketSessionInit> = {}): { session: ManualTransportSession; recorder: SessionRecorder } {
  const session = new ManualTransportSession({ ...base, ...init })
  const recorder = new SessionRecorder()
  session.start(recorder)
  return { session, recorder }
}

/** Run the ticks (flushes and `onClosed` go through `process.nextTick`, which fake timers leave real). */
async function ticks(): Promise<void> {
  for (let index = 0; index < 3; index += 1) await new Promise((resolve) => process.nextTick(resolve))
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('sendStallTimeOut', () => {
  test('closes with TimeOut a session whose write has not completed for sendStallTimeOut, dropping the queue', async () => {
    const { session, recorder } = open({ sendStallTimeOut: 1_000 })
    expect(session.trySend(Buffer.alloc(100))).toBe(true)
    await ticks()
    expect(session.writes).toHaveLength(1)
    expect(session.trySend(Buffer.alloc(50))).toBe(true) // waits behind the stuck write
    await vi.advanceTimersByTimeAsync(999)
    expect(session.state).toBe('open')
    await vi.advanceTimersByTimeAsync(1)
    await ticks()
    expect(session.state).toBe('closed')
    expect(session.closeReason).toBe(CloseReason.TimeOut)
    expect(session.sendStalled).toBe(true)
    expect(recorder.closedReasons).toEqual([CloseReason.TimeOut])
    expect(session.pendingBytes).toBe(0)
    expect(session.droppedBytes).toBe(50) // the bytes waiting behind the stuck write; the write itself is in neither
    expect(session.bytesSent).toBe(0)
    expect(session.destroyed).toBe(1)
    expect(session.ended).toBe(0) // torn down, not drained: the bytes could not go anyway
  })

  test('each completed write starts the clock again: a slow but steady reader is never closed', async () => {
    const { session, recorder } = open({ sendStallTimeOut: 1_000 })
    // 60 s of writes, each taking 900 ms to complete (just under the deadline), the queue never empty.
    for (let round = 0; round < 66; round += 1) {
      expect(session.trySend(Buffer.alloc(200))).toBe(true)
      await ticks()
      await vi.advanceTimersByTimeAsync(900)
      expect(session.completeWrite(), `round ${round}`).toBe(true)
    }
    expect(session.state).toBe('open')
    expect(session.sendStalled).toBe(false)
    expect(recorder.count('closed')).toBe(0)
  })

  test('a session with nothing queued is never closed by it, and holds no timer', async () => {
    const { session } = open({ sendStallTimeOut: 1_000 })
    expect(vi.getTimerCount()).toBe(0) // armed by the first write, not by start
    await vi.advanceTimersByTimeAsync(10_000)
    expect(session.state).toBe('open')
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    await ticks()
    session.completeWrite()
    await ticks()
    expect(session.pendingBytes).toBe(0)
    // The armed check fires once, finds nothing waiting and is not armed again.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(session.state).toBe('open')
  })

  test('a write after a quiet period longer than the deadline gets the whole deadline', async () => {
    const { session } = open({ sendStallTimeOut: 1_000 })
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    await ticks()
    await vi.advanceTimersByTimeAsync(400)
    session.completeWrite()
    await vi.advanceTimersByTimeAsync(5_000) // quiet: the check fired and was not armed again
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    await ticks()
    await vi.advanceTimersByTimeAsync(999)
    expect(session.state).toBe('open')
    await vi.advanceTimersByTimeAsync(1)
    await ticks()
    expect(session.closeReason).toBe(CloseReason.TimeOut)
  })

  test('a write shortly before the armed check fires gets its whole deadline (the check is re-armed for the rest)', async () => {
    const { session } = open({ sendStallTimeOut: 1_000 })
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    await ticks()
    await vi.advanceTimersByTimeAsync(800)
    session.completeWrite() // the next write goes out at 800 ms; the check armed at 0 fires at 1000
    expect(session.trySend(Buffer.alloc(10))).toBe(true)
    await ticks()
    await vi.advanceTimersByTimeAsync(999) // 1799 ms: 999 ms after the second write
    expect(session.state).toBe('open')
    await vi.advanceTimersByTimeAsync(1)
    await ticks()
    expect(session.closeReason).toBe(CloseReason.TimeOut)
  })

  test('many writes cost one timer per session, not one per write', async () => {
    const { session } = open({ sendStallTimeOut: 1_000 })
    for (let index = 0; index < 1_000; index += 1) {
      session.trySend(Buffer.alloc(8))
      await ticks()
      session.completeWrite()
    }
    expect(vi.getTimerCount()).toBe(1)
    expect(session.bytesSent).toBe(8_000)
  })

  test('0 turns it off, and it is off by default', async () => {
    for (const init of [{ sendStallTimeOut: 0 }, {}]) {
      const { session } = open(init)
      expect(session.trySend(Buffer.alloc(100))).toBe(true)
      await ticks()
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(3_600_000)
      expect(session.state).toBe('open')
      expect(session.writes).toHaveLength(1)
    }
  })

  test('while closing (draining for closeTimeOut), a stall tears the session down and the first reason stays', async () => {
    const { session, recorder } = open({ sendStallTimeOut: 1_000, closeTimeOut: 60_000 })
    expect(session.trySend(Buffer.alloc(100))).toBe(true)
    await ticks()
    const closing = session.close(CloseReason.ServerClosing)
    await vi.advanceTimersByTimeAsync(1_000)
    await closing
    expect(session.state).toBe('closed')
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
    expect(session.sendStalled).toBe(true)
  })

  test('the check is cleared when the session closes', async () => {
    const { session } = open({ sendStallTimeOut: 1_000, closeTimeOut: 0 })
    expect(session.trySend(Buffer.alloc(100))).toBe(true)
    await ticks()
    expect(vi.getTimerCount()).toBe(1)
    const closing = session.close(CloseReason.ServerClosing)
    await vi.advanceTimersByTimeAsync(0) // the close deadline (0 ms) destroys the transport
    await closing
    expect(session.state).toBe('closed')
    expect(session.sendStalled).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100'])('rejects sendStallTimeOut %s', (value) => {
    expect(() => new ManualTransportSession({ ...base, sendStallTimeOut: value as number })).toThrow(
      InvalidArgumentError,
    )
  })

  test('accepts 0 to 2147483647, fractions too', () => {
    for (const value of [0, 0.5, 1, 60_000, 2 ** 31 - 1]) {
      expect(() => new ManualTransportSession({ ...base, sendStallTimeOut: value })).not.toThrow()
    }
  })
})
