/**
 * @packageDocumentation
 * Per-session outbound queue bounded in bytes, with high/low water marks and batch hand-off for one gather write
 * (`SendingQueue`), and a grow-on-demand object pool (`SmartPool`). Zero copies: buffers are queued by reference.
 *
 * @example
 * ```ts
 * import { SendingQueue } from '@socketlite/sending-queue'
 *
 * const queue = new SendingQueue({ highWaterMark: 65_536, onDrain: () => console.log('room again') })
 * queue.enqueue(new TextEncoder().encode('hello\r\n')) // true: queued by reference
 * const batch = queue.takeBatch() // every waiting buffer, for one writev
 * queue.complete(7) // all 7 bytes written: released
 * ```
 */
export { SendingQueue, type SendingQueueInit } from './sending-queue.js'
export { SmartPool, type SmartPoolInit } from './smart-pool.js'
