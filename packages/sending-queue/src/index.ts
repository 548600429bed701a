/**
 * @packageDocumentation
 * The per-session outbound queue of socketlite (`SendingQueue`): bounded in bytes, with high/low water marks, batch
 * hand-off for one gather write, and write coalescing: small payloads are appended back to back into fixed-size
 * chunks taken from a bounded, shared `SmartPool` (and given back once written); large payloads handed over are
 * queued by reference, without a copy; consecutive views of one buffer handed over are merged into one.
 *
 * @example
 * ```ts
 * import { SendingQueue, SmartPool } from '@socketlite/sending-queue'
 *
 * const pool = new SmartPool({ chunkSize: 16_384, maxChunks: 1_024 }) // shared by every session
 * const queue = new SendingQueue({ highWaterMark: 65_536, pool })
 * queue.enqueueCopy('hello\r\n') // encoded straight into a pooled chunk
 * queue.enqueueCopy(Buffer.from('world\r\n')) // copied after it
 * const batch = queue.takeBatch() // one buffer: 'hello\r\nworld\r\n', for one write
 * queue.complete(14) // all written: the chunk goes back to the pool
 * ```
 */
export { SendingQueue, type SendingQueueInit } from './sending-queue.js'
export { SmartPool, type SmartPoolInit } from './smart-pool.js'
