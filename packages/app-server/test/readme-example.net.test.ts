import { AppServer, closeReasonName, silentLogFactory } from '@socketlite/app-server'
import { CommandLineReceiveFilterFactory } from '@socketlite/protocol'
import { expect, onTestFinished, test } from 'vitest'
import { connect, LineReader, next } from './helpers.js'

test("API.md's ten-line server works as written (on port 0)", async () => {
  const closed: string[] = []
  // --- the README example, with port 0 and a silent logger ---
  const server = new AppServer({
    config: { ip: '127.0.0.1', port: 0 },
    receiveFilterFactory: new CommandLineReceiveFilterFactory(), // the default when omitted
    logFactory: silentLogFactory,
  })
  server.on('newSessionConnected', (session) => {
    session.trySend('WELCOME\r\n')
  })
  server.on('newRequestReceived', async (session, request) => {
    if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
    else if (request.key === 'QUIT') await session.close()
  })
  server.on('sessionClosed', (session, reason) => closed.push(`${session.sessionId} ${closeReasonName(reason)}`))
  const listeners = await server.start()
  onTestFinished(() => server.stop())
  // --- end of the example ---
  expect(listeners).toEqual([
    { ip: '127.0.0.1', port: expect.any(Number), family: 'IPv4', security: 'none', mode: 'tcp' },
  ])
  const port = listeners[0]?.port ?? 0
  expect(port).toBeGreaterThan(0)

  const client = await connect(port)
  const lines = new LineReader(client)
  expect(await lines.next()).toBe('WELCOME')
  client.write('ECHO hello world\r\nECHO second\r\n')
  expect(await lines.take(2)).toEqual(['hello world', 'second'])
  const sessionClosed = next(server, 'sessionClosed')
  client.write('QUIT\r\n')
  await lines.closed()
  const [session] = await sessionClosed
  expect(closed).toEqual([`${(session as { sessionId: string }).sessionId} ServerClosing`])
  await server.stop()
  expect(server.sessionCount).toBe(0)
})
