import { CloseReason } from '@socketlite/socket-base'
import { readBytes, SessionRecorder, tcpSocketPair, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { AsyncSocketSession, type AsyncSocketSessionInit } from '../src/index.js'

// Sessions share their socket listeners and make their close() promise on demand: what each session sees must
// still be its own, and the promise must behave as before.

const init: AsyncSocketSessionInit = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 2_000 }

async function opened() {
  const pair = await tcpSocketPair()
  onTestFinished(() => pair.close())
  const session = new AsyncSocketSession(pair.server, init)
  onTestFinished(() => withTimeout(session.close(CloseReason.ServerClosing), 5_000, 'cleanup close'))
  const recorder = new SessionRecorder({ echo: session })
  return { ...pair, session, recorder }
}

describe('sessions over many sockets', () => {
  test('each session gets its own bytes, FIN and close, however they interleave', async () => {
    const all = await Promise.all([opened(), opened(), opened()])
    for (const { session, recorder } of all) session.start(recorder)
    for (const [index, { client }] of all.entries()) client.write(`to ${index};`)
    for (const [index, { client }] of all.entries()) {
      expect((await readBytes(client, 5)).toString()).toBe(`to ${index};`)
    }
    const [first, second, third] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0]]
    second.client.end()
    expect(await second.recorder.closed()).toBe(CloseReason.ClientClosing)
    third.client.destroy()
    expect(await third.recorder.closed()).toBe(CloseReason.ClientClosing)
    expect(first.session.state).toBe('open')
    expect(first.recorder.count('closed')).toBe(0)
    first.client.write('still here')
    expect((await readBytes(first.client, 10)).toString()).toBe('still here')
    expect(all.map(({ recorder }) => recorder.receivedBytes.toString())).toEqual(['to 0;still here', 'to 1;', 'to 2;'])
  })

  test('a closed session leaves no listener of its own on the socket', async () => {
    const { server, client } = await tcpSocketPair()
    onTestFinished(() => {
      client.destroy()
      server.destroy()
    })
    const events = ['data', 'end', 'close', 'error'] as const
    const before = events.map((event) => server.rawListeners(event))
    const added = () =>
      events.map((event, index) => server.rawListeners(event).filter((listener) => !before[index]?.includes(listener)))
    const session = new AsyncSocketSession(server, init)
    const recorder = new SessionRecorder()
    session.start(recorder)
    expect(added().map((listeners) => listeners.length)).toEqual([1, 1, 1, 1])
    client.end()
    expect(await recorder.closed()).toBe(CloseReason.ClientClosing)
    // The error listener stays (an error after close must not crash the process); the others are gone.
    expect(added().map((listeners) => listeners.length)).toEqual([0, 0, 0, 1])
  })
})

describe('the close() promise, made on demand', () => {
  test('asked for only after the session closed by itself: resolved, and the same promise every time', async () => {
    const { client, session, recorder } = await opened()
    session.start(recorder)
    client.destroy()
    expect(await recorder.closed()).toBe(CloseReason.ClientClosing)
    const promise = session.close(CloseReason.ServerClosing)
    expect(session.close(CloseReason.ApplicationError)).toBe(promise)
    await expect(withTimeout(promise, 2_000, 'close')).resolves.toBeUndefined()
    expect(session.closeReason).toBe(CloseReason.ClientClosing)
  })

  test('asked for while closing: resolves after onClosed, once for every caller', async () => {
    const { client, session, recorder } = await opened()
    session.start(recorder)
    const order: string[] = []
    const first = session
      .close(CloseReason.ServerClosing)
      .then(() => order.push(`resolved after ${recorder.count('closed')} onClosed`))
    const again = session.close(CloseReason.ApplicationError)
    client.resume()
    await withTimeout(Promise.all([first, again]), 2_000, 'close')
    expect(order).toEqual(['resolved after 1 onClosed'])
    expect(recorder.closedReasons).toEqual([CloseReason.ServerClosing])
  })
})
