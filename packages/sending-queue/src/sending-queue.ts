import { InvalidArgumentError } from '@socketlite/socket-base'

/** Options of {@link SendingQueue}. */
export interface SendingQueueInit {
  /**
   * Bytes the queue may hold (waiting + in flight). An enqueue that would pass it is refused whole, unless the
   * queue is empty: a single payload larger than the mark is accepted into an empty queue so it can always be sent.
   * A positive integer.
   */
  highWaterMark: number
  /**
   * Once the queue was "full", {@link SendingQueueInit.onDrain} fires when the held bytes drop below this.
   * An integer from 0 to `highWaterMark`; an empty queue always counts as below it, so `0` means "once empty".
   * @default Math.floor(highWaterMark / 2)
   */
  lowWaterMark?: number
  /**
   * Called synchronously, once per crossing, from {@link SendingQueue.complete} or {@link SendingQueue.clear}
   * when the held bytes drop below `lowWaterMark` (or to 0) after the queue was "full": an enqueue was refused,
   * or the held bytes reached `highWaterMark`. The queue's state is final when it is called, so it may enqueue
   * or take a batch. An error it throws propagates out of `complete`/`clear` (the queue stays consistent).
   */
  onDrain?: () => void
}

/** The batch returned when nothing waits; frozen and shared. */
const emptyBatch: readonly Uint8Array[] = Object.freeze([])

/**
 * The outbound queue of one session, bounded in bytes (Netty's `ChannelOutboundBuffer` with a
 * `WriteBufferWaterMark`; it replaces SuperSocket's `SendingQueue`, which counted buffers instead of bytes).
 *
 * The owner enqueues payloads by reference; one writer takes everything that waits as one batch for one gather
 * write (`writev`), and reports how many bytes of it were written. Nothing is ever copied: a partly written buffer
 * goes back to the front of the queue as a `subarray`.
 *
 * Ownership: a buffer belongs to the queue from {@link SendingQueue.enqueue} on (the caller must not change it);
 * the writer may read the batch (the array and its buffers) until it calls {@link SendingQueue.complete};
 * after that the queue drops its references to the written buffers. The batch array itself is never touched
 * by the queue again once handed out (the writer may keep it).
 *
 * @example
 * ```ts
 * const queue = new SendingQueue({ highWaterMark: 65_536, onDrain: () => resumeSenders() })
 * if (!queue.enqueue(payload)) waitForDrain()
 * if (!queue.inFlight) {
 *   const batch = queue.takeBatch()
 *   const bytes = queue.inFlightByteLength
 *   socket.cork()
 *   batch.forEach((buffer, i) => socket.write(buffer, i === batch.length - 1 ? () => queue.complete(bytes) : undefined))
 *   socket.uncork() // one writev
 * }
 * ```
 */
export class SendingQueue {
  /** Bytes the queue may hold; see {@link SendingQueueInit.highWaterMark}. */
  readonly highWaterMark: number
  /** Drain threshold; see {@link SendingQueueInit.lowWaterMark}. */
  readonly lowWaterMark: number

  readonly #onDrain: (() => void) | undefined
  /** Buffers waiting, in order. Handed out whole as the next batch (no copy). */
  #waiting: Uint8Array[] = []
  #waitingBytes = 0
  /** The batch in flight: the former waiting array. */
  #batch: Uint8Array[] | undefined
  #batchBytes = 0
  /** A batch was out when `clear()` dropped it: its `complete()` is still expected and then ignored. */
  #batchDropped = false
  /** Bytes of the dropped batch, to validate its `complete()`. */
  #droppedBytes = 0
  /** True from "full" (a refusal, or the high mark reached) until the drain signal. */
  #full = false

  /**
   * @throws {InvalidArgumentError} `highWaterMark` is not a positive integer, `lowWaterMark` is not an integer
   * from 0 to `highWaterMark`, or `onDrain` is not a function.
   */
  constructor(init: SendingQueueInit) {
    const { highWaterMark, lowWaterMark = Math.floor(highWaterMark / 2), onDrain } = init
    if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
      throw new InvalidArgumentError(`highWaterMark must be a positive integer, got ${String(highWaterMark)}`)
    }
    if (!Number.isSafeInteger(lowWaterMark) || lowWaterMark < 0 || lowWaterMark > highWaterMark) {
      throw new InvalidArgumentError(
        `lowWaterMark must be an integer from 0 to highWaterMark (${highWaterMark}), got ${String(lowWaterMark)}`,
      )
    }
    if (onDrain !== undefined && typeof onDrain !== 'function') {
      throw new InvalidArgumentError('onDrain must be a function')
    }
    this.highWaterMark = highWaterMark
    this.lowWaterMark = lowWaterMark
    this.#onDrain = onDrain
  }

  /** All bytes held: waiting, plus the batch handed out and not yet completed. */
  get byteLength(): number {
    return this.#waitingBytes + this.#batchBytes
  }

  /** Bytes waiting (not in flight). */
  get pendingByteLength(): number {
    return this.#waitingBytes
  }

  /** Bytes of the batch in flight not yet reported written (0 when none, or once `clear()` dropped it). */
  get inFlightByteLength(): number {
    return this.#batchBytes
  }

  /** Number of buffers held, waiting and in flight (zero-length ones included). */
  get length(): number {
    return this.#waiting.length + (this.#batch?.length ?? 0)
  }

  /** Number of buffers waiting (not in flight). */
  get pendingLength(): number {
    return this.#waiting.length
  }

  /**
   * A batch is out and not yet completed. Stays true after `clear()` dropped the batch, until the writer's
   * `complete()` arrives, so a new batch is never taken while the old write is still running.
   */
  get inFlight(): boolean {
    return this.#batch !== undefined
  }

  /** False from "full" (an enqueue was refused, or the high mark was reached) until the drain signal. */
  get writable(): boolean {
    return !this.#full
  }

  /** Whether {@link SendingQueue.enqueue} would accept `size` bytes now: the queue is empty or they fit under the high mark. */
  hasRoomFor(size: number): boolean {
    const held = this.#waitingBytes + this.#batchBytes
    return held === 0 || held + size <= this.highWaterMark
  }

  /**
   * Queue `data` by reference: ownership passes to the queue (no copy; do not modify it afterwards).
   * Accepted when it fits under the high mark or the queue is empty (so a payload larger than the mark can
   * always be sent alone). Zero-length payloads are accepted and kept as a buffer.
   * @returns false when refused: nothing was queued, and the queue is now "full" (`onDrain` will follow).
   * @throws {InvalidArgumentError} `data` is not a `Uint8Array`.
   */
  enqueue(data: Uint8Array): boolean {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('enqueue expects a Uint8Array')
    const size = data.byteLength
    const held = this.#waitingBytes + this.#batchBytes
    if (held !== 0 && held + size > this.highWaterMark) {
      this.#full = true
      return false
    }
    this.#waiting.push(data)
    this.#waitingBytes += size
    if (held + size >= this.highWaterMark) this.#full = true
    return true
  }

  /**
   * Hand out every waiting buffer as one batch, in order, for one gather write. The batch stays in flight (and
   * counted in `byteLength`) until {@link SendingQueue.complete}; the writer may read it until then.
   * @returns the batch; a shared empty array when nothing waits (then nothing is in flight).
   * @throws {InvalidArgumentError} a batch is already in flight (misuse: one writer, one write at a time).
   */
  takeBatch(): readonly Uint8Array[] {
    if (this.#batch !== undefined) throw new InvalidArgumentError('takeBatch: a batch is already in flight')
    const batch = this.#waiting
    if (batch.length === 0) return emptyBatch
    this.#batch = batch
    this.#batchBytes = this.#waitingBytes
    // A fresh array beats reusing an emptied one (see the README's bench numbers): young-generation
    // allocation is cheaper than V8 truncating and regrowing a reused array.
    this.#waiting = []
    this.#waitingBytes = 0
    return batch
  }

  /**
   * The batch in flight finished with `bytesWritten` of its bytes written. Fully written buffers are released
   * (a zero-length buffer counts as written once the bytes before it are); the unwritten tail, including a partly
   * written buffer as a `subarray` (no copy), goes back to the front of the waiting buffers, ahead of anything
   * enqueued meanwhile. Fires `onDrain` when this crosses the low water mark after the queue was full.
   * After `clear()` dropped the batch, this only ends the flight.
   * @throws {InvalidArgumentError} no batch is in flight, or `bytesWritten` is not an integer from 0 to the
   * batch's byte length.
   */
  complete(bytesWritten: number): void {
    const batch = this.#batch
    if (batch === undefined) throw new InvalidArgumentError('complete: no batch is in flight')
    const batchBytes = this.#batchDropped ? this.#droppedBytes : this.#batchBytes
    if (!Number.isSafeInteger(bytesWritten) || bytesWritten < 0 || bytesWritten > batchBytes) {
      throw new InvalidArgumentError(
        `complete: bytesWritten must be an integer from 0 to ${batchBytes}, got ${String(bytesWritten)}`,
      )
    }
    this.#batch = undefined
    this.#batchBytes = 0
    if (this.#batchDropped) {
      this.#batchDropped = false
      this.#droppedBytes = 0
      return
    }
    if (bytesWritten !== batchBytes) this.#requeueTail(batch, bytesWritten, batchBytes - bytesWritten)
    if (bytesWritten > 0) this.#checkDrain()
  }

  /**
   * Drop everything held, waiting and in flight, and return the number of bytes dropped. Fires `onDrain` if the
   * queue was full. A batch in flight stays "in flight" (its buffers released) until the writer calls `complete`.
   */
  clear(): number {
    const dropped = this.#waitingBytes + this.#batchBytes
    this.#waiting = []
    this.#waitingBytes = 0
    const batch = this.#batch
    if (batch !== undefined && !this.#batchDropped) {
      this.#batchDropped = true
      this.#droppedBytes = this.#batchBytes
      this.#batchBytes = 0
      // The writer may still read the array until complete(): release the queue's hold, not the writer's view.
      this.#batch = []
    }
    if (dropped > 0) this.#checkDrain()
    return dropped
  }

  /** Put the unwritten part of `batch` (from byte `written` on, `remaining` bytes) in front of the waiting buffers. */
  #requeueTail(batch: Uint8Array[], written: number, remaining: number): void {
    let index = 0
    let skipped = 0
    // Release every buffer whose bytes were all written (zero-length ones at the boundary included).
    for (;;) {
      const buffer = batch[index] as Uint8Array
      if (skipped + buffer.byteLength > written) break
      skipped += buffer.byteLength
      index += 1
    }
    // A new array for the waiting list (partial writes are rare): the batch array stays the writer's, untouched.
    const tail = batch.slice(index)
    if (written > skipped) tail[0] = (tail[0] as Uint8Array).subarray(written - skipped)
    const waiting = this.#waiting
    for (let i = 0; i < waiting.length; i += 1) tail.push(waiting[i] as Uint8Array)
    this.#waiting = tail
    this.#waitingBytes += remaining
  }

  #checkDrain(): void {
    if (!this.#full) return
    const held = this.#waitingBytes + this.#batchBytes
    if (held < this.lowWaterMark || held === 0) {
      this.#full = false
      this.#onDrain?.()
    }
  }
}
