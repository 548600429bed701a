import { expect, test } from 'vitest'
import { SocketError } from '../src/index.js'
import { lineClient, next, rejection, startEchoServer } from './helpers.js'

/** Counts of the handles that keep a process alive (sockets, timers), by kind. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

const kinds = ['TCPSocketWrap', 'TCPWRAP', 'UDPWrap', 'UDPWRAP', 'Timeout', 'TCPConnectWrap']

async function settle(baseline: Record<string, number>): Promise<Record<string, number>> {
  let now = resources()
  for (let turn = 0; turn < 500; turn += 1) {
    now = resources()
    if (kinds.every((kind) => (now[kind] ?? 0) <= (baseline[kind] ?? 0))) break
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return now
}

test('after close() no socket or timer of the client is left: TCP with requests, timeouts, waits, a reconnect; UDP', async () => {
  const { port, server } = await startEchoServer()
  const udp = await startEchoServer({ config: { mode: 'udp' } })
  const baseline = resources()

  const client = lineClient(port, { reconnect: { initialDelay: 5, maxDelay: 10 }, sendTimeOut: 10_000 })
  await client.connect()
  await client.request('ECHO a\r\n', { timeout: 5_000 })
  const timedOut = rejection(client.request('NOREPLY\r\n', { timeout: 20 })) // the server never answers it
  expect(SocketError.isSocketError(await timedOut)).toBe(true)
  for (const session of server.getAllSessions()) await session.close()
  await next(client, 'connected')
  await client.request('ECHO b\r\n', { timeout: 5_000 })
  const iterator = client[Symbol.asyncIterator]()
  const waiting = client.request('ECHO c\r\n', { timeout: 30_000 })
  await waiting
  await client.close()
  expect(await iterator.next()).toMatchObject({ done: false })
  expect(await iterator.next()).toMatchObject({ done: true })

  const datagrams = lineClient(udp.port, { mode: 'udp' })
  await datagrams.connect()
  await datagrams.request('ECHO d\r\n', { timeout: 5_000 })
  await datagrams.close()

  const after = await settle(baseline)
  for (const kind of kinds) expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(baseline[kind] ?? 0)
})
