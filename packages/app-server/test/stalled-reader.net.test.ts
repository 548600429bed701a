import { type ChildProcess, fork } from 'node:child_process'
import type net from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'
import { connect, next } from './helpers.js'

// A client that stops reading its replies while it keeps sending small requests, one dispatch pass each, with many
// busy clients' traffic between them: its session may hold no more memory than its own queued bytes. (A process-wide
// send buffer shared by every session, as app-server had, let each small reply queued for it keep a whole shared
// buffer alive: megabytes for a few kilobytes.) The server runs in a child process, measured alone after GC.

const fixture = fileURLToPath(new URL('./fixtures/stalled-reader-server.ts', import.meta.url))

interface Mark {
  arrayBuffers: number
  heapUsed: number
  sessions: number
  sendPool: { chunkSize: number; maxChunks: number; chunks: number; inUse: number; overflows: number }
}

function ask<T>(child: ChildProcess, message: object): Promise<T> {
  const answer = next<[T]>(child, 'message', 10_000).then(([reply]) => reply)
  child.send(message)
  return answer
}

/** One request/reply round: `count` lines out, their replies (34 bytes each) back. */
function round(socket: net.Socket, count: number): Promise<void> {
  return new Promise((resolve) => {
    let expected = count * 34
    const onData = (data: Buffer) => {
      expected -= data.length
      if (expected > 0) return
      socket.removeListener('data', onData)
      resolve()
    }
    socket.on('data', onData)
    socket.write(`ECHO ${'x'.repeat(32)}\r\n`.repeat(count))
  })
}

test('a session whose peer stops reading holds only its own queued bytes, however busy the others are', async () => {
  const child = fork(fixture, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  const [{ port }] = await next<[{ port: number }]>(child, 'message', 15_000)

  // The stalled client fills the kernel buffers between it and the server with large replies first, so that what
  // follows stays in its session's queue.
  const stalled = await connect(port)
  stalled.pause()
  // Each batch is dispatched before the next is written (dispatch yields after a budget of requests per read, so a
  // pile of batches read at once would fill the queue up to its high water mark while writes complete between them).
  let queued = 0
  for (let batch = 1; batch <= 2_000 && queued <= 0; batch += 1) {
    stalled.write('BIG\r\n'.repeat(16))
    let requests = 0
    for (let attempt = 0; attempt < 1_000 && requests < batch * 16; attempt += 1) {
      ;({ queued, requests } = await ask<{ queued: number; requests: number }>(child, {
        cmd: 'queued',
        port: stalled.localPort,
      }))
    }
  }
  expect(queued).toBeGreaterThan(0)
  const busy = await Promise.all(Array.from({ length: 10 }, () => connect(port)))
  await Promise.all(busy.map((socket) => round(socket, 20)))
  const before = await ask<Mark>(child, { cmd: 'mark' })

  // Then small requests, one at a time, each answered in a dispatch pass of its own between busy rounds.
  const steps = 200
  for (let step = 0; step < steps; step += 1) {
    stalled.write(`ECHO ${'x'.repeat(32)}\r\n`)
    await Promise.all(busy.map((socket) => round(socket, 20)))
  }
  const { queued: queuedAfter, paused } = await ask<{ queued: number; paused: boolean }>(child, {
    cmd: 'queued',
    port: stalled.localPort,
  })
  expect(paused).toBe(false)
  // Every small reply was queued (nothing reached the full kernel buffers).
  expect(queuedAfter - queued).toBeGreaterThanOrEqual(steps * 34 * 0.9)
  for (const socket of busy) socket.destroy()
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await ask<Mark>(child, { cmd: 'mark' })).sessions === 1) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const after = await ask<Mark>(child, { cmd: 'mark' })
  expect(after.sessions).toBe(1)

  const { chunkSize } = after.sendPool
  const ownBytes = queuedAfter - queued
  // Chunks in use: only the stalled session's, about its queued bytes (16 KiB each).
  expect(after.sendPool.inUse).toBeLessThanOrEqual(Math.ceil(queuedAfter / chunkSize) + 1)
  // Memory grown since `before`, less the free chunks the pool made meanwhile (shared, bounded, reused): at most
  // the session's own new bytes and the chunk they started in, plus a little of Node's own.
  const pooledGrowth = (after.sendPool.chunks - before.sendPool.chunks) * chunkSize
  const growth = after.arrayBuffers - before.arrayBuffers - pooledGrowth
  if (process.env.STALLED_READER_REPORT) console.log({ queued, queuedAfter, ownBytes, growth, before, after })
  expect(growth).toBeLessThanOrEqual(ownBytes + chunkSize + 256 * 1_024)
  expect(after.sendPool.chunks).toBeLessThanOrEqual(after.sendPool.maxChunks)
  stalled.destroy()
  const exited = next(child, 'exit', 10_000)
  child.send({ cmd: 'stop' })
  await exited
}, 60_000)
