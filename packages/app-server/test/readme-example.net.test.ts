import { readFileSync } from 'node:fs'
import { AppServer, CommandLineReceiveFilterFactory, closeReasonName, silentLogFactory } from '@socketlite/app-server'
import { expect, onTestFinished, test } from 'vitest'
import { connect, LineReader, next } from './helpers.js'

test("the README's ten-line server works as written (on port 0)", async () => {
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

test('what a server author copies imports only from @socketlite/app-server', () => {
  // The README of the repository and of this package, and docs/: a user who installed only this package (with pnpm,
  // nothing else is resolvable from their code) must be able to paste every snippet.
  const files = ['../../../README.md', '../README.md', '../../../docs/errors.md', '../../../docs/architecture.md']
  const imports: string[] = []
  for (const file of files) {
    const text = readFileSync(new URL(file, import.meta.url), 'utf8')
    for (const match of text.matchAll(/from '(@socketlite\/[^']+)'/g)) imports.push(`${file}: ${match[1]}`)
  }
  expect(imports.length).toBeGreaterThan(2)
  // The root README's client and scale-out sections import the client and the Redis adapter packages, separate
  // installs it shows with their own commands.
  const separateInstalls = ['../../../README.md: @socketlite/client', '../../../README.md: @socketlite/redis-adapter']
  expect(
    imports.filter((entry) => !entry.endsWith(': @socketlite/app-server') && !separateInstalls.includes(entry)),
  ).toEqual([])
})
