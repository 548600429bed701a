import { deferred, withTimeout } from '@socketlite/testing'
import { describe, expect, test, vi } from 'vitest'
import type { AppSession } from '../src/index.js'
import { connect, next, startServer } from './helpers.js'

const highWaterMark = 65_536
/** What a paused reader may still hold: the pause threshold, one socket read, the stream's read-ahead, a frame. */
const receiveBound = highWaterMark + 65_536 + 16_384 + 1_024

describe('backpressure', () => {
  test('a client that pipelines 50 MB and never reads cannot grow the server without bound', async () => {
    const lineLength = 1_000
    const lineCount = Math.ceil((50 * 1024 * 1024) / lineLength)
    const full = deferred()
    let maxPending = 0
    let maxBuffered = 0
    const { server, port } = await startServer(
      { config: { sendHighWaterMark: highWaterMark, sendTimeOut: 0 } },
      (server) => {
        server.on('newRequestReceived', async (session, request) => {
          maxPending = Math.max(maxPending, session.pendingSendBytes)
          maxBuffered = Math.max(maxBuffered, session.bufferedReceiveBytes)
          const reply = `${request.body}\r\n`
          if (!session.trySend(reply)) {
            full.resolve()
            await session.send(reply)
          }
        })
      },
    )
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    client.pause()
    const padding = 'x'.repeat(lineLength - 'ECHO 0000000 \r\n'.length)
    const requests = Buffer.alloc(lineLength * lineCount)
    for (let index = 0; index < lineCount; index++) {
      requests.write(`ECHO ${String(index).padStart(7, '0')} ${padding}\r\n`, index * lineLength, 'latin1')
    }
    client.write(requests)

    await withTimeout(full.promise, 10_000, 'the sending queue to fill')
    await vi.waitFor(() => expect(session.receivePaused).toBe(true), { timeout: 5_000, interval: 5 })
    const readWhenPaused = server.getStats().bytesIn
    expect(readWhenPaused).toBeLessThan(requests.length / 2)
    expect(session.pendingSendBytes).toBeLessThanOrEqual(highWaterMark)
    expect(session.bufferedReceiveBytes).toBeLessThanOrEqual(receiveBound)

    // Now read: every reply arrives, in order, and the server resumes reading.
    const replyLength = lineLength - 'ECHO '.length
    let received = 0
    let expected = 0
    let carry = ''
    let bad = 0
    const done = deferred()
    client.setEncoding('latin1')
    client.on('data', (text: string) => {
      received += text.length
      const lines = (carry + text).split('\r\n')
      carry = lines.pop() ?? ''
      for (const line of lines) {
        if (line.slice(0, 7) !== String(expected).padStart(7, '0') || line.length !== replyLength - 2) bad++
        expected++
      }
      if (expected === lineCount) done.resolve()
    })
    client.resume()
    await withTimeout(done.promise, 30_000, 'every reply')
    expect(bad).toBe(0)
    expect(received).toBe(lineCount * replyLength)
    expect(maxPending).toBeLessThanOrEqual(highWaterMark)
    expect(maxBuffered).toBeLessThanOrEqual(receiveBound)
    expect(server.getStats().requests).toBe(lineCount)
  })

  test('a slow asynchronous handler pauses reading; it resumes once the handler catches up', async () => {
    const gate = deferred()
    const entered = deferred()
    let handled = 0
    const { server, port } = await startServer({ config: { sendHighWaterMark: highWaterMark } }, (server) => {
      server.on('newRequestReceived', async () => {
        entered.resolve()
        await gate.promise
        handled++
      })
    })
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    const client = await connect(port)
    const [session] = await connected
    const line = `DATA ${'y'.repeat(94)}\r\n`
    const count = 20_000
    client.write(line.repeat(count))
    await withTimeout(entered.promise)
    await vi.waitFor(() => expect(session.receivePaused).toBe(true), { timeout: 5_000, interval: 5 })
    expect(session.bufferedReceiveBytes).toBeLessThanOrEqual(receiveBound)
    expect(server.getStats().bytesIn).toBeLessThan(line.length * count)
    gate.resolve()
    await vi.waitFor(() => expect(handled).toBe(count), { timeout: 10_000, interval: 10 })
    expect(session.receivePaused).toBe(false)
  })
})
