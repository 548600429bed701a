import type { SocketSessionHandler } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import type { SocketSessionInit } from '../src/index.js'
import { ManualTransportSession } from './fixtures/manual-transport.js'

const init: SocketSessionInit = { sendHighWaterMark: 1 << 20, sendLowWaterMark: 1 << 19, closeTimeOut: 60_000 }

/** A session started with `onData`; `writes` lists what reached the transport, batch by batch. */
function started(onData: (session: ManualTransportSession, data: Buffer) => void): ManualTransportSession {
  const session = new ManualTransportSession(init)
  const handler: SocketSessionHandler = { onData: (data) => onData(session, data), onClosed: () => {} }
  session.start(handler)
  return session
}

/** Run the ticks queued so far (and those they queue), a bounded number of rounds. */
async function ticks(): Promise<void> {
  for (let index = 0; index < 3; index += 1) await new Promise((resolve) => process.nextTick(resolve))
}

describe('replies queued from onData', () => {
  test('leave as one batch as soon as onData returned, before any tick', () => {
    const session = started((self, data) => {
      for (let line = 0; line < data.length; line += 4) self.trySend(data.subarray(line, line + 4))
      // Nothing is handed over while the handler runs: the read's replies gather into one batch.
      expect(self.writes).toHaveLength(0)
    })
    session.receive(Buffer.from('AAA\nBBB\nCCC\n'))
    expect(session.writes.map((write) => write.bytes)).toEqual([12])
  })

  test('while a batch is out, they wait for it and leave together as the next batch', async () => {
    const session = started((self, data) => {
      self.trySend(data)
      self.trySend(data)
    })
    session.receive(Buffer.from('one\n'))
    session.receive(Buffer.from('two\n'))
    expect(session.writes.map((write) => write.bytes)).toEqual([8])
    session.completeWrite()
    await ticks()
    expect(session.writes.map((write) => write.bytes)).toEqual([8])
    expect(session.bytesSent).toBe(8)
  })

  test('sends made outside onData still leave at the end of the tick, as one batch', async () => {
    const session = started(() => {})
    session.trySend(Buffer.from('a'))
    session.trySend(Buffer.from('b'))
    expect(session.writes).toHaveLength(0)
    await ticks()
    expect(session.writes.map((write) => write.bytes)).toEqual([2])
  })

  test('a handler that throws: what it queued before still leaves, and the session closes', async () => {
    let closed = false
    const session = new ManualTransportSession(init)
    session.start({
      onData: (data) => {
        session.trySend(data)
        throw new Error('handler bug')
      },
      onClosed: () => {
        closed = true
      },
    })
    session.receive(Buffer.from('last words'))
    expect(session.writes.map((write) => write.bytes)).toEqual([10])
    session.completeWrite()
    await ticks()
    expect(closed).toBe(true)
    expect(session.bytesSent).toBe(10)
  })

  test('a handler that closes the session: its replies are drained first, then the transport ends', async () => {
    const session = started((self, data) => {
      self.trySend(data)
      void self.close(0)
    })
    session.receive(Buffer.from('bye'))
    expect(session.writes.map((write) => write.bytes)).toEqual([3])
    expect(session.ended).toBe(0)
    session.completeWrite()
    await ticks()
    expect(session.ended).toBe(1)
    expect(session.state).toBe('closed')
  })
})
