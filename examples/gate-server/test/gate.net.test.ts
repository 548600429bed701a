import { once } from 'node:events'
import { silentLogFactory } from '@socketlite/app-server'
import { connectLineClient } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { createBackendServer } from '../src/backend-server.js'
import { createGateServer } from '../src/server.js'

const timeout = () => ({ signal: AbortSignal.timeout(2_000) })

async function startBackend(port = 0) {
  const backend = createBackendServer({ port, logFactory: silentLogFactory })
  const [endpoint] = await backend.start()
  onTestFinished(() => backend.stop())
  return { backend, port: endpoint?.port ?? 0 }
}

async function startGate(backendPort: number) {
  const gate = createGateServer({
    port: 0,
    backend: { host: '127.0.0.1', port: backendPort },
    reconnect: { initialDelay: 20, maxDelay: 100 },
    logFactory: silentLogFactory,
  })
  onTestFinished(() => gate.stop())
  const up = once(gate.link, 'connected', timeout())
  const { port } = await gate.start()
  return { gate, port, up }
}

test('the gate relays each client line to the backend and routes every answer to its own client', async () => {
  const { backend, port: backendPort } = await startBackend()
  const { gate, port, up } = await startGate(backendPort)
  await up
  expect(gate.link.connected).toBe(true)
  expect(backend.sessionCount).toBe(1) // the gate's link: one connection for every client
  const alice = await connectLineClient(port)
  const bob = await connectLineClient(port)
  const [aliceAnswer, bobAnswer] = await Promise.all([alice.ask('ECHO I am alice'), bob.ask('ECHO I am bob')])
  expect([aliceAnswer, bobAnswer]).toEqual(['I am alice', 'I am bob'])
  expect(await alice.ask('PLAYERS')).toBe('PLAYERS 2')
  expect(await bob.ask('JUMP')).toBe('UNKNOWN JUMP')

  const left = once(gate.clients, 'sessionClosed', timeout())
  bob.socket.destroy()
  await left
  expect(await alice.ask('PLAYERS')).toBe('PLAYERS 1') // the PART went ahead of this line on the same link
})

test('while the backend is down clients get an error; the link comes back by itself and clients are re-announced', async () => {
  const first = await startBackend()
  const { gate, port, up } = await startGate(first.port)
  await up
  const alice = await connectLineClient(port)
  const bob = await connectLineClient(port)
  expect(await alice.ask('PLAYERS')).toBe('PLAYERS 2')

  const down = once(gate.link, 'disconnected', timeout())
  await first.backend.stop()
  await down
  expect(await alice.ask('ECHO anyone?')).toBe('ERROR backend unavailable')

  const again = once(gate.link, 'connected', timeout())
  await startBackend(first.port) // a new backend process on the same port, with no state
  await again
  expect(await bob.ask('ECHO back')).toBe('back')
  expect(await alice.ask('PLAYERS')).toBe('PLAYERS 2')
})

test('a gate started before its backend keeps retrying until the backend is there', async () => {
  const probe = await startBackend()
  await probe.backend.stop() // a free port, for now
  const { gate, port, up } = await startGate(probe.port)
  expect(gate.link.connected).toBe(false)
  const early = await connectLineClient(port)
  expect(await early.ask('ECHO hello?')).toBe('ERROR backend unavailable')
  await startBackend(probe.port)
  await up
  expect(await early.ask('ECHO hello!')).toBe('hello!')
})

test('the link is a client connection: the gate opens no port but its client port (no proxy server to guard)', async () => {
  const listening = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length
  const { backend, port: backendPort } = await startBackend()
  // Listeners of earlier tests may still be closing: wait (bounded) until the count settles.
  for (let turn = 0, last = -1; turn < 200 && listening() !== last; turn += 1) {
    last = listening()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const before = listening()
  const { gate, port, up } = await startGate(backendPort)
  await up
  // One listener more, the gate's client port: no second server for the link (SuperSocketLite, and this example
  // before SocketClient, ran a proxy server that had to listen and then refuse every connection to it).
  expect(listening() - before).toBe(1)
  expect(gate.link.remoteEndPoint?.port).toBe(backendPort)
  expect(gate.clients.endpoints.map((endpoint) => endpoint.port)).toEqual([port])
  expect(backend.sessionCount).toBe(1)
  // Whatever connects to the gate's one port is a client, relayed like any other.
  const visitor = await connectLineClient(port)
  expect(await visitor.ask('ECHO just a client')).toBe('just a client')
})
