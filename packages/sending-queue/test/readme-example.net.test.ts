import { once } from 'node:events'
import net from 'node:net'
import { expect, onTestFinished, test } from 'vitest'
import { SendingQueue, SmartPool } from '../src/index.js'

// The README's example, over real loopback sockets: a greeting, an echo, and backpressure against a client that
// sends much more than the high water mark before it reads anything.

function startExample(pool: SmartPool) {
  const queues: SendingQueue[] = []
  const server = net.createServer((socket) => {
    const queue = new SendingQueue({ highWaterMark: 65_536, pool })
    queues.push(queue)
    let refused: Buffer | undefined

    const flush = () => {
      if (queue.inFlight) return
      const batch = queue.takeBatch()
      if (batch.length === 0) return
      const bytes = queue.inFlightByteLength
      const done = (error?: Error | null) => {
        queue.complete(error ? 0 : bytes)
        if (error) return
        if (refused !== undefined && queue.writable && queue.enqueue(refused)) {
          refused = undefined
          socket.resume()
        }
        flush()
      }
      socket.cork()
      for (let index = 0; index < batch.length - 1; index += 1) socket.write(batch[index] as Uint8Array)
      socket.write(batch[batch.length - 1] as Uint8Array, done)
      socket.uncork()
    }

    queue.enqueueCopy('hello\r\n')
    flush()
    socket.on('data', (data) => {
      if (!queue.enqueue(data)) {
        refused = data
        socket.pause()
      }
      flush()
    })
    socket.on('close', () => queue.clear())
  })
  return { server, queues }
}

async function listen(pool: SmartPool) {
  const example = startExample(pool)
  example.server.listen(0, '127.0.0.1')
  await once(example.server, 'listening', { signal: AbortSignal.timeout(2_000) })
  onTestFinished(() => new Promise<void>((resolve) => example.server.close(() => resolve())))
  const { port } = example.server.address() as net.AddressInfo
  const client = net.connect(port, '127.0.0.1')
  onTestFinished(() => {
    client.destroy()
  })
  await once(client, 'connect', { signal: AbortSignal.timeout(2_000) })
  return { client, queues: example.queues }
}

/** Read from `client` until `count` bytes arrived (at most 5 s). */
function readBytes(client: net.Socket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let total = 0
    const timer = setTimeout(() => reject(new Error(`timed out with ${total} of ${count} bytes`)), 5_000)
    const onData = (data: Buffer) => {
      parts.push(data)
      total += data.length
      if (total >= count) {
        clearTimeout(timer)
        client.removeListener('data', onData)
        resolve(Buffer.concat(parts))
      }
    }
    client.on('data', onData)
  })
}

test('greets, then echoes every byte in order', async () => {
  const pool = new SmartPool()
  const { client } = await listen(pool)
  const message = Buffer.from('ping\r\n')
  client.write(message)
  expect((await readBytes(client, 7 + message.length)).toString()).toBe('hello\r\nping\r\n')
})

test('a client that sends 4 MiB before reading gets it all back; the server held at most about a high mark', async () => {
  const pool = new SmartPool({ chunkSize: 16_384, maxChunks: 64 })
  const { client, queues } = await listen(pool)
  const total = 4 * 1_048_576
  const sent = Buffer.alloc(total)
  for (let index = 0; index < total; index += 1) sent[index] = (index * 7) & 0xff
  client.pause()
  client.write(sent)
  // Let the server fill its queue against a client that does not read: it pauses instead of growing.
  let maxHeld = 0
  for (let round = 0; round < 20; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    maxHeld = Math.max(maxHeld, queues[0]?.byteLength ?? 0)
  }
  client.resume()
  const received = await readBytes(client, 7 + total)
  expect(received.subarray(0, 7).toString()).toBe('hello\r\n')
  expect(received.subarray(7).equals(sent)).toBe(true)
  // One read (at most 64 KiB) may be accepted into an empty queue past the mark.
  expect(maxHeld).toBeLessThanOrEqual(2 * 65_536)
  client.end()
  await once(client, 'close', { signal: AbortSignal.timeout(2_000) })
  expect(pool.inUse).toBe(0)
})
