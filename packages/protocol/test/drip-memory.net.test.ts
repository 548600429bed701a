import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'
import { dripByte, kinds } from './fixtures/drip-kinds.js'

// A peer that sends a frame one byte per write must cost the server about the frame's size, not the size of the
// many small reads it came in (each read is a Buffer, an ArrayBuffer and a backing store: hundreds of bytes).
// A child process (drip-server.ts, --expose-gc) runs a node:net server on 127.0.0.1 whose connections each feed a
// ReceivePipeline; this process opens the connections and drips a partial frame into each, one byte per write,
// every filter in turn (and one pipeline that nobody reads, as while a handler runs). Each round writes one byte to
// every connection and waits until the server has read them, so every read is one byte. The child's heap and RSS
// are measured after garbage collection, once when every connection has picked its filter and once when every
// dripped byte is held: the growth per connection is compared with the bytes each holds.
//
// Reading many tiny chunks grows the heap and RSS by themselves, held or not (compiled code, inline caches, allocator
// and young-generation high-water marks: a few hundred KiB of heap and a few MiB of RSS in all, whatever the number
// of connections): a warm-up drip into as many connections of the same kinds, closed before the first measurement,
// reaches that level first, so that the growth measured is what the partial frames keep.
//
// DRIP_CONNECTIONS, DRIP_BYTES (per connection), DRIP_WARMUP (bytes per warm-up connection) change the load;
// DRIP_MODULE runs the child against another build of the package (a path or URL of its index), e.g. the code
// before this test existed, to see it fail.

const connectionCount = Number(process.env.DRIP_CONNECTIONS ?? 16)
const bytesPerConnection = Number(process.env.DRIP_BYTES ?? 8_192)
const warmupBytes = Number(process.env.DRIP_WARMUP ?? 2_048)
const fixture = fileURLToPath(new URL('./fixtures/drip-server.ts', import.meta.url))

interface Count {
  connections: number
  buffered: number
  received: number
  reads: number
  requests: number
  errors: number
}
interface Measure extends Count {
  heapUsed: number
  arrayBuffers: number
  rss: number
}

/** The child's next message of `type`, within `timeout` ms. */
async function reply<T>(child: ChildProcess, type: string, timeout = 10_000): Promise<T> {
  const signal = AbortSignal.timeout(timeout)
  for (;;) {
    const [message] = (await once(child, 'message', { signal })) as [{ type: string }]
    if (message.type === type) return message as T
  }
}

async function ask<T>(child: ChildProcess, message: { type: string; received?: number }, answer = message.type) {
  const answered = reply<T>(child, answer)
  child.send(message)
  return answered
}

/** Connects `count` sockets and sends each its kind byte (`kind(index)`). */
async function connect(port: number, count: number, kind: (index: number) => number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy()
  })
  for (let index = 0; index < count; index++) {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    sockets.push(socket)
    socket.on('error', () => {})
    await once(socket, 'connect', { signal: AbortSignal.timeout(5_000) })
    socket.write(Buffer.of(kind(index)))
  }
  return sockets
}

/**
 * Writes `count` rounds of one byte (`byte(socket, round)`) to every socket, each round once the server has read the
 * previous one. Returns the reads it took.
 */
async function drip(
  child: ChildProcess,
  sockets: readonly net.Socket[],
  count: number,
  byte: (socket: number, round: number) => number,
): Promise<number> {
  const start = await ask<Count>(child, { type: 'count' })
  let received = start.received
  for (let round = 0; round < count; round++) {
    for (const [index, socket] of sockets.entries()) socket.write(Buffer.of(byte(index, round)))
    received += sockets.length
    await ask(child, { type: 'await', received }, 'reached')
  }
  return (await ask<Count>(child, { type: 'count' })).reads - start.reads
}

const KiB = 1024
const format = (bytes: number) => `${(bytes / KiB).toFixed(1)} KiB`

test('a frame dripped one byte per write costs about its size, for every filter and for unread bytes', async () => {
  const child = fork(fixture, [], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: 'inherit' })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  const { port } = await reply<{ port: number }>(child, 'listening', 15_000)

  const kindOf = (index: number) => index % kinds.length
  const byteOf = (index: number, round: number) => dripByte(kinds[kindOf(index)] as (typeof kinds)[number], round)
  const warmup = await connect(port, connectionCount, kindOf)
  await drip(child, warmup, warmupBytes, byteOf)
  for (const socket of warmup) socket.destroy()
  const sockets = await connect(port, connectionCount, kindOf)
  await ask(child, { type: 'await', received: (2 + warmupBytes) * connectionCount }, 'reached')
  await expect.poll(async () => (await ask<Count>(child, { type: 'count' })).connections).toBe(connectionCount)
  const before = await ask<Measure>(child, { type: 'measure' })

  const started = Date.now()
  const reads = await drip(child, sockets, bytesPerConnection, byteOf)
  const seconds = (Date.now() - started) / 1000
  const after = await ask<Measure>(child, { type: 'measure' })

  const total = connectionCount * bytesPerConnection
  const arrayBuffers = after.arrayBuffers - before.arrayBuffers
  const heap = after.heapUsed - before.heapUsed + arrayBuffers
  const rss = after.rss - before.rss
  const perConnection = (bytes: number) => `${format(bytes / connectionCount)} (${(bytes / total).toFixed(2)}×)`
  console.log(
    `drip: ${connectionCount} connections × ${format(bytesPerConnection)} held, in ${reads} reads of ` +
      `${(total / reads).toFixed(2)} bytes (${seconds.toFixed(1)} s); growth per connection: heap + array buffers ` +
      `${perConnection(heap)}, of which array buffers ${perConnection(arrayBuffers)}; RSS ${perConnection(rss)}`,
  )
  // Every byte is held as part of a partial frame, read one at a time: nothing was parsed, nothing failed.
  expect({ buffered: after.buffered, reads, requests: after.requests, errors: after.errors }).toEqual({
    buffered: total,
    reads: total,
    requests: 0,
    errors: 0,
  })
  // About the size: the bytes sit in buffers at most twice their size (geometric growth)...
  expect(arrayBuffers).toBeLessThan(connectionCount * (2 * bytesPerConnection + 2 * KiB))
  // ...and little else per connection. The heap drifts by up to a few hundred KiB in all, and RSS by a few MiB,
  // whatever the connections hold (measured with a server that drops every byte): that much is allowed on top.
  expect(heap).toBeLessThan(connectionCount * (2.5 * bytesPerConnection + 4 * KiB) + 256 * KiB)
  expect(rss).toBeLessThan(connectionCount * (3 * bytesPerConnection + 16 * KiB) + 4 * 1024 * KiB)
}, 120_000)
