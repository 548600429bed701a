import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { AppServer, CommandLineReceiveFilterFactory, closeReasonName, silentLogFactory } from '@socketlite/app-server'
import { expect, onTestFinished, test } from 'vitest'
import { SocketClient, TerminatorReceiveFilter } from '../src/index.js'

/** The socketlite README's ten-line server, on port 0. */
async function readmeServer(): Promise<number> {
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
  server.on('sessionClosed', (session, reason) => void [session.sessionId, closeReasonName(reason)])
  const [listener] = await server.start()
  onTestFinished(() => server.stop())
  return listener?.port ?? 0
}

test("the README's ten-line client works as written against the README's ten-line server", async () => {
  const port = await readmeServer()
  const logged: string[] = []
  const console = { log: (...parts: unknown[]) => logged.push(parts.join(' ')) }
  // --- the README example, with the server's port and a console that records ---
  const client = new SocketClient({
    host: '127.0.0.1',
    port,
    receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }), // the replies are lines
    reconnect: { initialDelay: 500, maxDelay: 10_000 }, // off when omitted
  })
  client.on('message', (reply) => console.log(reply.key, reply.body)) // WELCOME, then hello world
  await client.connect()
  await client.send('ECHO hello world\r\n')
  // ...
  for (let waited = 0; logged.length < 2 && waited < 2; waited += 1) await once(client, 'message')
  await client.close()
  // --- end of the example ---
  expect(logged).toEqual(['WELCOME ', 'hello world'])
  expect(client.state).toBe('closed')
})

test("the README's request/reply snippet: the greeting first, then replies in order", async () => {
  const port = await readmeServer()
  const client = new SocketClient({
    host: '127.0.0.1',
    port,
    receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }),
  })
  onTestFinished(() => client.close())
  // --- the README snippet ---
  const greeting = once(client, 'message') // before connect(): the server greets at once
  await client.connect()
  await greeting // the WELCOME line first: it is nobody's reply
  const reply = await client.request('ECHO ping\r\n', { timeout: 2_000 }) // reply.key === 'ping'
  const [a, b] = await Promise.all([client.request('ECHO a\r\n'), client.request('ECHO b\r\n')])
  // --- end ---
  expect([reply.key, a.key, b.key]).toEqual(['ping', 'a', 'b'])
})

test("this package's README and the repository's show the ten-line client as the tests run it", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const rootReadme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  const tenLines = (text: string) => /```ts\nimport \{ SocketClient[\s\S]*?```/.exec(text)?.[0]
  expect(tenLines(readme)).toBeDefined()
  expect(tenLines(rootReadme)).toBe(tenLines(readme))
  for (const line of [
    "receiveFilter: new TerminatorReceiveFilter({ terminator: '\\r\\n' }), // the replies are lines",
    'reconnect: { initialDelay: 500, maxDelay: 10_000 }, // off when omitted',
    "client.on('message', (reply) => console.log(reply.key, reply.body)) // WELCOME, then hello world",
    "await client.send('ECHO hello world\\r\\n')",
    "const greeting = once(client, 'message') // before connect(): the server greets at once",
    "await greeting // the WELCOME line first: it is nobody's reply",
    "const reply = await client.request('ECHO ping\\r\\n', { timeout: 2_000 }) // reply.key === 'ping'",
    "const [a, b] = await Promise.all([client.request('ECHO a\\r\\n'), client.request('ECHO b\\r\\n')])",
  ]) {
    expect(readme).toContain(line)
  }
})
