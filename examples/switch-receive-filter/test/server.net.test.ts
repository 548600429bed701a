import { once } from 'node:events'
import { CloseReason, silentLogFactory } from '@socketlite/app-server'
import { connectLineClient } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { createSwitchServer } from '../src/server.js'

async function startServer() {
  const server = createSwitchServer({ port: 0, logFactory: silentLogFactory })
  const [endpoint] = await server.start()
  onTestFinished(() => server.stop())
  const lines = await connectLineClient(endpoint?.port ?? 0)
  return { server, client: lines.socket, lines }
}

const y = (text: string) => Buffer.concat([Buffer.from(`Y${text}`), Buffer.of(0x00, 0xff)])
const star = (text: string) => Buffer.from(`*${text}#`)

test('both framings, mixed on one connection, in one write', async () => {
  const { client, lines } = await startServer()
  client.write(Buffer.concat([y('ECHO one'), star('ECHO two'), star('ECHO three'), y('ECHO four # * Y')]))
  expect([await lines.next(), await lines.next(), await lines.next(), await lines.next()]).toEqual([
    'one',
    'two',
    'three',
    'four # * Y',
  ])
})

test('the filter switches at any byte: the same stream sent one byte at a time', async () => {
  const { client, lines } = await startServer()
  client.setNoDelay(true)
  const stream = Buffer.concat([star('ECHO a'), y('ECHO b'), y('NOPE c'), star('ECHO d')])
  for (let index = 0; index < stream.length; index++) client.write(stream.subarray(index, index + 1))
  expect([await lines.next(), await lines.next(), await lines.next(), await lines.next()]).toEqual([
    'a',
    'b',
    'UNKNOWN NOPE',
    'd',
  ])
})

test('a message that starts with another byte closes the session with ProtocolError, after the ones before it', async () => {
  const { server, client, lines } = await startServer()
  const closed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
  client.write(Buffer.concat([star('ECHO kept'), Buffer.from('ECHO unframed\r\n'), star('ECHO never')]))
  expect(await lines.next()).toBe('kept')
  const [, reason] = await closed
  expect(reason).toBe(CloseReason.ProtocolError)
  expect(await lines.next()).toBeUndefined()
})
