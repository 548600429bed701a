import type net from 'node:net'
import { listenTcp, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { SocketError } from '../src/index.js'
import { lineClient, rejection } from './helpers.js'

const codeOf = (error: unknown) => (SocketError.isSocketError(error) ? error.code : String(error))
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('sending to a server that does not read', () => {
  test('trySend refuses once the queue is full; send waits, then times out; waiting sends keep their order', async () => {
    const readers: net.Socket[] = []
    const server = await listenTcp((socket) => {
      readers.push(socket)
      socket.pause()
    })
    onTestFinished(() => server.close())
    const client = lineClient(server.port, { sendHighWaterMark: 16 * 1_024, sendTimeOut: 100, closeTimeOut: 50 })
    await client.connect()
    const chunk = Buffer.alloc(4_096, 0x61)
    const deadline = performance.now() + 10_000
    // Fill the kernel's buffers, then the queue (a few rounds, bounded).
    for (let quiet = 0; quiet < 10 && performance.now() < deadline; ) {
      let sent = 0
      while (client.trySend(chunk)) sent += 1
      quiet = sent === 0 ? quiet + 1 : 0
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(client.writable).toBe(false)
    expect(client.pendingBytes).toBeGreaterThanOrEqual(12 * 1_024)
    expect(client.pendingBytes).toBeLessThanOrEqual(16 * 1_024 + chunk.length)
    // No room within sendTimeOut: SendTimeoutError, nothing queued, the connection stays open.
    expect(codeOf(await rejection(client.send(chunk)))).toBe('ERR_SEND_TIMEOUT')
    expect(client.connected).toBe(true)

    // Now sends that wait with no time limit, and the reader starts reading: they go out in call order.
    const patient = lineClient(server.port, { sendHighWaterMark: 16 * 1_024, sendTimeOut: 0 })
    await patient.connect()
    while (readers.length < 2) await turn()
    const secondReader = readers[1] as net.Socket
    let filled = 0
    for (let quiet = 0; quiet < 10 && performance.now() < deadline; ) {
      let sent = 0
      while (patient.trySend(chunk)) {
        filled += chunk.length
        sent += 1
      }
      quiet = sent === 0 ? quiet + 1 : 0
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const order: number[] = []
    const waiting = [1, 2, 3].map((index) => patient.send(`[${index}]`).then(() => order.push(index)))
    expect(patient.waitingSends).toBe(3)
    expect(patient.trySend('x')).toBe(false) // sends wait: trySend does not jump the queue
    let tail = ''
    let total = 0
    secondReader.setEncoding('latin1')
    secondReader.on('data', (data: string) => {
      total += data.length
      tail = (tail + data).slice(-9)
    })
    secondReader.resume()
    await withTimeout(Promise.all(waiting), 5_000, 'the waiting sends')
    expect(order).toEqual([1, 2, 3])
    while (total < filled + 9) await turn()
    expect(tail).toBe('[1][2][3]')
  })
})

describe('a reply consumer slower than the server', () => {
  test('a for-await loop holds at most replyHighWaterMark (plus a reply): the client stops reading, the server is held', async () => {
    const replySize = 1_024
    const replies = 20_000 // 20 MiB: far more than the socket buffers and the loop's bound
    let written = 0
    let blocked = false
    const server = await listenTcp((socket) => {
      const reply = (index: number) => `R${String(index).padStart(7, '0')}${'.'.repeat(replySize - 10)}\r\n`
      const pump = () => {
        blocked = false
        while (written < replies) {
          const more = socket.write(reply(written))
          written += 1
          if (!more) {
            blocked = true
            socket.once('drain', pump)
            return
          }
        }
        socket.end()
      }
      pump()
    })
    onTestFinished(() => server.close())
    const replyHighWaterMark = 64 * 1_024
    const client = lineClient(server.port, { replyHighWaterMark })
    const iterator = client[Symbol.asyncIterator]() as AsyncIterableIterator<{ key: string }> & {
      bufferedBytes: number
      full: boolean
    }
    await client.connect()
    // Wait (bounded) until the loop is full and the server has been held for a while without progress.
    let stableTurns = 0
    let last = -1
    for (let round = 0; round < 20_000 && stableTurns < 200; round += 1) {
      await turn()
      stableTurns = iterator.full && blocked && written === last ? stableTurns + 1 : 0
      last = written
    }
    expect(iterator.full).toBe(true)
    expect(iterator.bufferedBytes).toBeLessThanOrEqual(replyHighWaterMark + replySize)
    expect(written).toBeLessThan(replies) // the server could not write everything: it is held
    // The consumer catches up: every reply arrives, in order, exactly once.
    let expected = 0
    for await (const reply of iterator) {
      expect(reply.key.slice(0, 8)).toBe(`R${String(expected).padStart(7, '0')}`)
      expected += 1
      expect(iterator.bufferedBytes).toBeLessThanOrEqual(replyHighWaterMark + replySize)
      if (expected === replies) break
    }
    expect(expected).toBe(replies)
  })
})
