// Load generator for bench/echo.ts, run in a worker thread (its own event loop, ideally its own core). Plain
// JavaScript: Node 20 does not apply the TypeScript loader to worker threads.
// Each connection keeps `depth` requests in flight and counts the replies; the result is posted back.
import net from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'

/** @type {{ port: number, connections: number, depth: number, requestSize: number, replySize: number, warmupMs: number, measureMs: number }} */
const job = workerData
const request = Buffer.alloc(job.requestSize, 0x61)
let counting = false
let counted = 0
let errors = 0
/** @type {net.Socket[]} */
const sockets = []

/** @returns {Promise<void>} */
function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: job.port, noDelay: true })
    sockets.push(socket)
    let pendingBytes = 0
    socket.on('error', () => {
      errors += 1
    })
    socket.once('connect', () => {
      resolve()
      socket.write(Buffer.concat(Array.from({ length: job.depth }, () => request)))
    })
    socket.once('error', reject)
    socket.on('data', (data) => {
      pendingBytes += data.length
      const done = Math.floor(pendingBytes / job.replySize)
      if (done === 0) return
      pendingBytes -= done * job.replySize
      if (counting) counted += done
      socket.write(done === 1 ? request : Buffer.concat(Array.from({ length: done }, () => request)))
    })
  })
}

await Promise.all(Array.from({ length: job.connections }, () => open()))
await new Promise((resolve) => setTimeout(resolve, job.warmupMs))
counting = true
const start = performance.now()
await new Promise((resolve) => setTimeout(resolve, job.measureMs))
counting = false
const seconds = (performance.now() - start) / 1_000
for (const socket of sockets) socket.destroy()
parentPort?.postMessage({ requests: counted, seconds, errors })
