import diagnosticsChannel from 'node:diagnostics_channel'
import { deferred } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { type RequestHandledMessage, requestHandledChannelName } from '../src/index.js'
import { connect, LineReader, next, startServer } from './helpers.js'

/** Subscribe to the request-handled channel until the test finishes; returns the messages of `server` only. */
function record(server: unknown): RequestHandledMessage[] {
  const messages: RequestHandledMessage[] = []
  const subscriber = (message: unknown) => {
    const handled = message as RequestHandledMessage
    if (handled.session.server === server) messages.push(handled)
  }
  diagnosticsChannel.subscribe(requestHandledChannelName, subscriber)
  onTestFinished(() => {
    diagnosticsChannel.unsubscribe(requestHandledChannelName, subscriber)
  })
  return messages
}

test('one request-handled message per request: synchronous, asynchronous, thrown and rejected handlers', async () => {
  const release = deferred<void>()
  const { server, port } = await startServer({}, (server) => {
    server.command('SYNC', (session) => {
      session.trySend('sync\r\n')
    })
    server.command('ASYNC', async (session) => {
      await release.promise
      await session.send('async\r\n')
    })
    server.command('THROW', () => {
      throw new Error('thrown on purpose')
    })
    server.command('REJECT', async () => {
      throw new Error('rejected on purpose')
    })
  })
  // Sessions whose handler fails are closed by the default handleException: one client per failing request.
  const messages = record(server)
  const client = await connect(port)
  const lines = new LineReader(client)
  client.write('SYNC\r\nASYNC\r\n')
  expect(await lines.take(1)).toEqual(['sync'])
  expect(messages).toHaveLength(1)
  setTimeout(() => release.resolve(), 30)
  expect(await lines.take(1)).toEqual(['async'])
  expect(messages).toHaveLength(2)
  const [sync, async] = messages
  expect(sync?.failed).toBe(false)
  expect(sync?.session.listener?.port).toBe(port)
  expect(async?.failed).toBe(false)
  // The asynchronous handler's duration covers its wait (it settled after the 30 ms release, not before).
  expect(async?.duration).toBeGreaterThanOrEqual(25)

  for (const key of ['THROW', 'REJECT']) {
    const failing = await connect(port)
    const closed = new LineReader(failing)
    failing.write(`${key}\r\n`)
    await closed.closed()
  }
  expect(messages.map((message) => message.failed)).toEqual([false, false, true, true])
  expect(messages.every((message) => message.duration >= 0)).toBe(true)
})

test('without a subscriber nothing is published, and a late subscriber sees only later requests', async () => {
  const { server, port } = await startServer({}, (server) => {
    server.on('newRequestReceived', (session, request) => {
      session.trySend(`${request.key}\r\n`)
    })
  })
  expect(diagnosticsChannel.hasSubscribers(requestHandledChannelName)).toBe(false)
  const client = await connect(port)
  const lines = new LineReader(client)
  client.write('A\r\n')
  expect(await lines.take(1)).toEqual(['A'])
  const messages = record(server)
  client.write('B\r\n')
  expect(await lines.take(1)).toEqual(['B'])
  expect(messages).toHaveLength(1)
})

test('a request handler given up on by handlerTimeOut is published once, as failed; its late result is not published', async () => {
  const late = deferred<void>()
  const { server, port } = await startServer({ config: { handlerTimeOut: 100 } }, (app) => {
    app.on('newRequestReceived', (session, request) => {
      if (request.key === 'STALL') return late.promise
      session.trySend(`${request.key}\r\n`)
      return undefined
    })
  })
  const messages = record(server)
  const client = await connect(port)
  const lines = new LineReader(client)
  const closed = next(server, 'sessionClosed', 3_000)
  client.write('FIRST\r\nSTALL\r\n')
  expect(await lines.take(1)).toEqual(['FIRST'])
  await closed
  expect(messages.map((message) => message.failed)).toEqual([false, true])
  expect(messages[1]?.duration).toBeGreaterThanOrEqual(90)
  late.resolve()
  await late.promise
  await new Promise<void>((resolve) => setImmediate(resolve))
  expect(messages).toHaveLength(2)
})
