import { InvalidArgumentError, viewOffsetOf, viewSourceOf } from '@socketlite/socket-base'
import { encodeInto, encodeUtf8Into, maxBytesPerCodeUnit } from './encode.js'
import { Chunk, type SmartPool } from './smart-pool.js'

/** Options of {@link SendingQueue}. */
export interface SendingQueueInit {
  /**
   * Bytes the queue may hold (waiting + in flight). An enqueue that would pass it is refused whole, unless the
   * queue is empty: a single payload larger than the mark is accepted into an empty queue so it can always be sent.
   * A positive integer.
   */
  highWaterMark: number
  /**
   * Once the queue was "full" it becomes {@link SendingQueue.writable} again when the held bytes drop below this.
   * An integer from 0 to `highWaterMark`; an empty queue always counts as below it, so `0` means "once empty".
   * @default Math.floor(highWaterMark / 2)
   */
  lowWaterMark?: number
  /**
   * Where the chunks that small payloads are appended into come from, and go back to once written. Without a pool
   * the queue makes its chunks itself (16 KiB each) and leaves them to the garbage collector: pass a pool shared by
   * your sessions to reuse them.
   * @default no pool
   */
  pool?: SmartPool
  /**
   * Append small payloads back to back into chunks, and merge consecutive views of one buffer handed over
   * (`enqueue`) into one, so that many small sends leave as a few large buffers. `false` keeps every payload a buffer
   * of its own in the batch (datagrams: one payload, one datagram); copies still go into pooled chunks.
   * @default true
   */
  coalesce?: boolean
}

/** The batch returned when nothing waits; frozen and shared. */
const emptyBatch: readonly Uint8Array[] = Object.freeze([])
/** The chunks of a queue that never held one (a session that never sent): shared, never written. */
const noChunks: Chunk[] = Object.freeze([]) as unknown as Chunk[]
/** A zero-length payload kept as a buffer of its own (`coalesce: false`). */
const emptyPayload = new Uint8Array(0)
/** Chunk size when the queue has no pool. */
const defaultChunkSize = 16_384
/**
 * Payloads handed over (`enqueue`) below this size are copied into a chunk; larger ones are queued by reference.
 * Measured (README, "Performance"): through a loopback socket, copying into one buffer beats one gather-write entry
 * per payload by 2.1x at 36 B, 1.4x at 256 B and 1.1x at 1-2 KiB, breaks even at 4 KiB and loses at 8 KiB.
 * (A run of consecutive views counts as one payload.)
 */
const copyBelow = 2_048

/**
 * The outbound queue of one session, bounded in bytes (Netty's `ChannelOutboundBuffer` with a
 * `WriteBufferWaterMark`; it replaces SuperSocket's `SendingQueue`, which counted buffers instead of bytes), with
 * write coalescing: small payloads are appended back to back into chunks taken from a {@link SmartPool}, so a burst
 * of small sends leaves as one buffer; large payloads handed over are queued by reference (no copy), and consecutive
 * views of one buffer handed over one after the other (an echo of the frames of a received chunk) are merged into one
 * view first, so they leave as that buffer, no copy at all.
 *
 * One writer takes everything that waits as one batch for one gather write (`writev`) and reports how many bytes of
 * it were written; the unwritten tail goes back to the front. A chunk belongs to this queue from the moment it is
 * taken until every byte appended to it was written (or dropped by `clear`): then it goes back to the pool, never
 * earlier, so no other queue can write into bytes still in flight.
 *
 * Ownership: a buffer passed to {@link SendingQueue.enqueue} belongs to the queue from then on (the caller must not
 * change it); {@link SendingQueue.enqueueCopy} copies (or encodes) at once, so the caller keeps its buffer. The
 * writer may read the batch (the array and its buffers) until it calls {@link SendingQueue.complete}; the queue
 * never touches a batch array again once it has handed it out.
 *
 * @example
 * ```ts
 * const pool = new SmartPool() // shared by every session
 * const queue = new SendingQueue({ highWaterMark: 65_536, pool })
 * queue.enqueueCopy('hello\r\n') // encoded straight into a pooled chunk
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
  /** Writable-again threshold; see {@link SendingQueueInit.lowWaterMark}. */
  readonly lowWaterMark: number

  readonly #pool: SmartPool | undefined
  /** The size of every chunk this queue takes (the pool's, or its own). */
  readonly #chunkSize: number
  /** Handed-over payloads smaller than this are copied into a chunk (0: never, `coalesce: false`). */
  readonly #copyBelow: number
  readonly #coalesce: boolean
  // Every byte accepted has a position in the queue's byte stream: from `#done` (the first byte not yet written or
  // dropped) through the batch in flight, the sealed waiting buffers and the open region of the tail chunk, to
  // `#end`. A chunk records where its bytes start and end; it goes back to the pool once `#done` has passed its end.
  #end = 0
  #done = 0
  /** Sealed buffers waiting, in order (chunk regions and payloads queued by reference). Handed out as the batch. */
  #waiting: Uint8Array[] = []
  /** Bytes waiting: the sealed buffers plus the open region of the tail chunk. */
  #waitingBytes = 0
  /** Chunks held, oldest first: the last may be the tail. */
  #chunks: Chunk[] = noChunks
  /** The chunk payloads are appended to. Its bytes from `#openStart` to `#tailUsed` wait after `#waiting`. */
  #tail: Chunk | undefined
  #tailUsed = 0
  #openStart = 0
  /**
   * A run of views handed over (`enqueue`) that lie back to back in one buffer, not yet placed in the stream: its
   * first view, where it ends in that buffer, and its bytes. It comes after everything else waiting; whatever is
   * queued next (or `takeBatch`) places it first: copied into the chunk when small, else queued as one view.
   */
  #run: Uint8Array | undefined
  /** Where the run ends in its buffer; -1 until a second payload asks. */
  #runEnd = 0
  /**
   * The run's `ArrayBuffer`, read when a second payload asks (with `#runEnd`). Reading a view's `buffer` is a call
   * into V8's runtime (about 14 ns, measured): kept, so that each further view of the run costs one read, not two.
   */
  #runBuffer: ArrayBufferLike | undefined
  #runBytes = 0
  /** The batch in flight: the former waiting array. */
  #batch: Uint8Array[] | undefined
  #batchBytes = 0
  /** The stream position after the batch in flight. */
  #batchEnd = 0
  /** A batch was out when `clear()` dropped it: its `complete()` is still expected, then only releases its chunks. */
  #batchDropped = false
  /** Bytes of the dropped batch, to validate its `complete()`. */
  #droppedBytes = 0
  /** The stream position of the last `clear()` while the dropped batch flies: done once the batch completes. */
  #clearedEnd = 0
  /** True from "full" (a refusal, or the high mark reached) until the held bytes fall below the low mark. */
  #full = false

  /**
   * @throws {InvalidArgumentError} `highWaterMark` is not a positive integer, `lowWaterMark` is not an integer
   * from 0 to `highWaterMark`, or `pool` is not a `SmartPool`.
   */
  constructor(init: SendingQueueInit) {
    const { highWaterMark, lowWaterMark = Math.floor(highWaterMark / 2), pool, coalesce = true } = init
    if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
      throw new InvalidArgumentError(`highWaterMark must be a positive integer, got ${String(highWaterMark)}`)
    }
    if (!Number.isSafeInteger(lowWaterMark) || lowWaterMark < 0 || lowWaterMark > highWaterMark) {
      throw new InvalidArgumentError(
        `lowWaterMark must be an integer from 0 to highWaterMark (${highWaterMark}), got ${String(lowWaterMark)}`,
      )
    }
    if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof pool.take !== 'function')) {
      throw new InvalidArgumentError('pool must be a SmartPool')
    }
    this.highWaterMark = highWaterMark
    this.lowWaterMark = lowWaterMark
    this.#pool = pool
    this.#chunkSize = pool?.chunkSize ?? defaultChunkSize
    this.#coalesce = coalesce !== false
    this.#copyBelow = this.#coalesce ? Math.min(copyBelow, this.#chunkSize) : 0
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

  /**
   * A batch is out and not yet completed. Stays true after `clear()` dropped the batch, until the writer's
   * `complete()` arrives, so a new batch is never taken while the old write is still running.
   */
  get inFlight(): boolean {
    return this.#batch !== undefined
  }

  /**
   * False from "full" (an enqueue was refused, or the held bytes reached the high mark) until the held bytes fall
   * below the low mark (or to 0). The owner's backpressure signal: stop producing while false.
   */
  get writable(): boolean {
    return !this.#full
  }

  /** Chunks this queue holds now (pooled or not): the one it appends to, and those with bytes waiting or in flight. */
  get chunkCount(): number {
    return this.#chunks.length
  }

  /** Whether an enqueue of `size` bytes would be accepted now: the queue is empty or they fit under the high mark. */
  hasRoomFor(size: number): boolean {
    const held = this.#waitingBytes + this.#batchBytes
    return held === 0 || held + size <= this.highWaterMark
  }

  /**
   * Queue `data`, handing it over: from now on it belongs to the queue (do not modify it). Views handed over one
   * after the other that lie back to back in one buffer (`byteOffset` of each = end of the one before) are merged
   * into one run. A payload (or run) smaller than 2 KiB (or than a chunk), or that is less than half of the buffer it
   * views, is copied into a chunk after the payloads before it, so that it never keeps a larger buffer alive;
   * otherwise it is queued by reference, no copy. With `coalesce: false` every payload is queued by reference, as it
   * is. Accepted when it fits under the high mark or the queue is empty (so a payload larger than the mark can always
   * be sent alone).
   * @returns false when refused: nothing was queued, and the queue is now "full" (not writable).
   * @throws {InvalidArgumentError} `data` is not a `Uint8Array`.
   */
  enqueue(data: Uint8Array): boolean {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('enqueue expects a Uint8Array')
    // (`length` rather than `byteLength`: the same for a Uint8Array, and cheaper to read.)
    const size = data.length
    const held = this.#waitingBytes + this.#batchBytes
    if (held !== 0 && held + size > this.highWaterMark) {
      this.#full = true
      return false
    }
    const run = this.#run
    if (run !== undefined) {
      // (A view's offset costs a little to read: a run learns where it ends only when a second payload comes.)
      // (The views' offsets and buffers through socket-base's view keys: a received frame answers them with fields,
      // where `byteOffset` and `buffer` cost 20-30 ns each.)
      const offset = viewOffsetOf(data)
      if (this.#runEnd < 0) {
        this.#runEnd = viewOffsetOf(run) + this.#runBytes
        this.#runBuffer = viewSourceOf(run)
      }
      if (offset === this.#runEnd && viewSourceOf(data) === this.#runBuffer) {
        // The usual case of an echo: the next frame of the same received chunk.
        this.#runEnd = offset + size
        this.#runBytes += size
      } else {
        this.#placeRun()
        this.#run = data
        // (Its buffer is read only if the next payload starts where this one ends.)
        this.#runEnd = -1
        this.#runBytes = size
      }
    } else if (this.#coalesce) {
      this.#run = data
      this.#runEnd = -1
      this.#runBytes = size
    } else this.#pushReference(data)
    this.#waitingBytes += size
    if (held + size >= this.highWaterMark) this.#full = true
    return true
  }

  /**
   * Queue a copy of `data`: the caller keeps its buffer (it may change it as soon as this returns). Bytes are
   * copied, and a string is encoded in `encoding`, straight into the queue's chunk (a payload larger than a chunk
   * gets an exact buffer of its own). Same room rule as {@link SendingQueue.enqueue}.
   * @returns false when refused: nothing was queued, and the queue is now "full" (not writable).
   * @throws {InvalidArgumentError} `data` is neither a `Uint8Array` nor a string.
   */
  enqueueCopy(data: Uint8Array | string, encoding: BufferEncoding = 'utf8'): boolean {
    if (this.#run !== undefined) this.#placeRun()
    if (typeof data === 'string') {
      // The usual case first: a UTF-8 string that surely fits the chunk being filled and the high mark.
      const tail = this.#tail
      if (encoding === 'utf8' && tail !== undefined && this.#coalesce) {
        const bound = data.length * 3
        const held = this.#waitingBytes + this.#batchBytes
        if (bound <= this.#chunkSize - this.#tailUsed && (held === 0 || held + bound <= this.highWaterMark)) {
          const written = encodeUtf8Into(tail.buffer, data, this.#tailUsed)
          this.#appended(tail, written)
          this.#waitingBytes += written
          if (held + written >= this.highWaterMark) this.#full = true
          return true
        }
      }
      return this.#enqueueString(data, encoding)
    }
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('enqueueCopy expects a Uint8Array or a string')
    const size = data.length
    const held = this.#waitingBytes + this.#batchBytes
    if (held !== 0 && held + size > this.highWaterMark) {
      this.#full = true
      return false
    }
    const tail = this.#tail
    if (tail !== undefined && this.#coalesce && this.#chunkSize - this.#tailUsed >= size) {
      // The usual case: it fits the chunk being filled. A few bytes (a CRLF) are cheaper copied one by one than
      // through TypedArray#set (measured: 9 ns against 21 ns for 2 bytes; the same at 8).
      const buffer = tail.buffer
      const at = this.#tailUsed
      if (size <= 4) for (let index = 0; index < size; index += 1) buffer[at + index] = data[index] as number
      else buffer.set(data, at)
      this.#appended(tail, size)
    } else if (size > this.#chunkSize || (!this.#coalesce && size === 0)) {
      this.#pushReference(size === 0 ? emptyPayload : copyOf(data))
    } else if (this.#coalesce) {
      this.#append(data)
    } else {
      // One payload, one contiguous buffer: a chunk with too little room left is not split across.
      let chunk = tail
      if (chunk === undefined || this.#chunkSize - this.#tailUsed < size) chunk = this.#newTail()
      chunk.buffer.set(data, this.#tailUsed)
      this.#appended(chunk, size)
      this.#seal()
    }
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
    if (this.#run !== undefined) this.#placeRun()
    if (this.#tailUsed !== this.#openStart) this.#seal()
    const batch = this.#waiting
    if (batch.length === 0) return emptyBatch
    this.#batch = batch
    this.#batchBytes = this.#waitingBytes
    this.#batchEnd = this.#done + this.#waitingBytes
    // A fresh array beats reusing an emptied one (see the README's bench numbers): young-generation allocation is
    // cheaper than V8 truncating and regrowing a reused array.
    this.#waiting = []
    this.#waitingBytes = 0
    return batch
  }

  /**
   * The batch in flight finished with `bytesWritten` of its bytes written. Fully written buffers are released (a
   * zero-length buffer counts as written once the bytes before it are), and a chunk goes back to its pool once none
   * of its bytes waits or flies; the unwritten tail, including a partly written buffer as a `subarray` (no copy),
   * goes back to the front, ahead of anything enqueued meanwhile. The queue is writable again when this takes the
   * held bytes below the low water mark after it was full. After `clear()` dropped the batch, this only ends the
   * flight and releases its chunks.
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
      this.#done = this.#clearedEnd
      this.#releaseDone()
      return
    }
    this.#done += bytesWritten
    if (bytesWritten !== batchBytes) this.#requeueTail(batch, bytesWritten, batchBytes - bytesWritten)
    if (this.#chunks.length !== 0) this.#releaseDone()
    if (bytesWritten > 0) this.#checkWritable()
  }

  /**
   * Drop everything held, waiting and in flight, and return the number of bytes dropped. The queue is writable again.
   * A batch in flight stays "in flight" until the writer calls `complete`, and its chunks stay this queue's until
   * then (the writer may still be reading them); every other chunk goes back to the pool at once.
   */
  clear(): number {
    const dropped = this.#waitingBytes + this.#batchBytes
    this.#run = undefined
    this.#runBuffer = undefined
    this.#waiting = []
    this.#waitingBytes = 0
    this.#openStart = this.#tailUsed
    if (this.#batch === undefined) {
      this.#done = this.#end
      this.#releaseDone()
    } else {
      if (!this.#batchDropped) {
        this.#batchDropped = true
        this.#droppedBytes = this.#batchBytes
        this.#batchBytes = 0
        // The writer may still read the batch until complete(): drop the queue's hold on it, not its chunks.
        this.#batch = []
      }
      this.#clearedEnd = this.#end
      // Chunks with no byte in the batch can go now; the others once it completes.
      const chunks = this.#chunks
      for (let last = chunks[chunks.length - 1]; last !== undefined && last.start >= this.#batchEnd; ) {
        chunks.pop()
        this.#release(last)
        last = chunks[chunks.length - 1]
      }
    }
    if (dropped > 0) this.#checkWritable()
    return dropped
  }

  // ---- internals --------------------------------------------------------------------------------------------------

  #enqueueString(text: string, encoding: BufferEncoding): boolean {
    if (typeof text !== 'string') throw new InvalidArgumentError('enqueueCopy expects a Uint8Array or a string')
    const held = this.#waitingBytes + this.#batchBytes
    // An upper bound of the encoded size decides most cases without measuring the string.
    const bound = text.length * maxBytesPerCodeUnit(encoding)
    let size = -1
    if (held !== 0 && held + bound > this.highWaterMark) {
      size = Buffer.byteLength(text, encoding)
      if (held + size > this.highWaterMark) {
        this.#full = true
        return false
      }
    }
    let written: number
    let tail = this.#tail
    const room = tail === undefined ? 0 : this.#chunkSize - this.#tailUsed
    if (bound <= room && bound > 0) {
      // The usual case: it fits the chunk.
      written = encodeInto((tail as Chunk).buffer, text, this.#tailUsed, encoding)
      this.#appended(tail as Chunk, written)
    } else if (bound <= this.#chunkSize && bound > 0 && (tail === undefined || size < 0)) {
      // It surely fits a fresh chunk: take one rather than measure the string (the rest of a tail, if any, is left).
      tail = this.#newTail()
      written = encodeInto(tail.buffer, text, 0, encoding)
      this.#appended(tail, written)
    } else {
      if (size < 0) size = Buffer.byteLength(text, encoding)
      written = size
      if (size === 0) {
        if (!this.#coalesce) this.#pushReference(emptyPayload)
      } else if (size <= this.#chunkSize) {
        if (size > room) tail = this.#newTail()
        written = encodeInto((tail as Chunk).buffer, text, this.#tailUsed, encoding)
        this.#appended(tail as Chunk, written)
      } else {
        // Larger than a chunk: encoded once into a buffer of its own, queued by reference.
        const bytes = Buffer.allocUnsafeSlow(size)
        written = encodeInto(bytes, text, 0, encoding)
        this.#pushReference(written === size ? bytes : bytes.subarray(0, written))
      }
    }
    if (!this.#coalesce) this.#seal()
    this.#waitingBytes += written
    if (held + written >= this.highWaterMark) this.#full = true
    return true
  }

  /**
   * Put the run of views handed over into the stream (its bytes are counted in `#waitingBytes` already): copied into
   * the chunk when it is small or views less than half of its buffer, else queued as one view (the first view itself
   * when the run is just that view).
   */
  #placeRun(): void {
    const run = this.#run as Uint8Array
    const bytes = this.#runBytes
    // (Read when a second view joined the run; a run of one view is that view.)
    const buffer = this.#runBuffer
    this.#run = undefined
    this.#runBuffer = undefined
    const view = bytes === run.length ? run : new Uint8Array(buffer as ArrayBufferLike, viewOffsetOf(run), bytes)
    if (bytes < this.#copyBelow || bytes * 2 < (buffer ?? viewSourceOf(run)).byteLength) this.#append(view)
    else this.#pushReference(view)
  }

  /** Copy `data` after the bytes appended so far, into the tail chunk and, when it is full, the next ones. */
  #append(data: Uint8Array): void {
    const size = data.byteLength
    let tail = this.#tail
    if (tail !== undefined && this.#chunkSize - this.#tailUsed >= size) {
      // The usual case: it fits.
      tail.buffer.set(data, this.#tailUsed)
      this.#appended(tail, size)
      return
    }
    let offset = 0
    while (offset < size) {
      if (tail === undefined || this.#tailUsed === this.#chunkSize) tail = this.#newTail()
      const room = this.#chunkSize - this.#tailUsed
      const count = Math.min(size - offset, room)
      tail.buffer.set(offset === 0 && count === size ? data : data.subarray(offset, offset + count), this.#tailUsed)
      this.#appended(tail, count)
      offset += count
    }
  }

  /** `count` bytes were written into `tail` after its used bytes. */
  #appended(tail: Chunk, count: number): void {
    this.#tailUsed += count
    this.#end += count
    tail.end = this.#end
  }

  /** Queue `data` by reference after everything appended so far. */
  #pushReference(data: Uint8Array): void {
    this.#seal()
    this.#waiting.push(data)
    this.#end += data.byteLength
  }

  /** Turn the open region of the tail chunk into a waiting buffer (a view of the chunk). */
  #seal(): void {
    const tail = this.#tail
    // (No tail: both are 0.)
    if (tail === undefined || this.#tailUsed === this.#openStart) return
    this.#waiting.push(tail.buffer.subarray(this.#openStart, this.#tailUsed))
    this.#openStart = this.#tailUsed
  }

  /** Seal the tail chunk and take a fresh one to append to. */
  #newTail(): Chunk {
    this.#seal()
    const chunk = this.#pool?.take(this) ?? new Chunk(this.#chunkSize, undefined)
    chunk.start = this.#end
    chunk.end = this.#end
    if (this.#chunks === noChunks) this.#chunks = [chunk]
    else this.#chunks.push(chunk)
    this.#tail = chunk
    this.#tailUsed = 0
    this.#openStart = 0
    return chunk
  }

  /** Give back every chunk whose bytes are all done (written or dropped): the oldest ones, the tail included. */
  #releaseDone(): void {
    const chunks = this.#chunks
    while (chunks.length > 0) {
      const head = chunks[0] as Chunk
      if (head.end > this.#done) return
      chunks.shift()
      this.#release(head)
    }
  }

  #release(chunk: Chunk): void {
    if (chunk === this.#tail) {
      this.#tail = undefined
      this.#tailUsed = 0
      this.#openStart = 0
    }
    chunk.pool?.give(chunk, this)
  }

  /**
   * Put the unwritten part of `batch` (after its first `written` bytes; `remaining` bytes) in front of the waiting
   * buffers.
   */
  #requeueTail(batch: Uint8Array[], written: number, remaining: number): void {
    let index = 0
    let skipped = 0
    // Skip every buffer whose bytes were all written (zero-length ones at the boundary included).
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

  #checkWritable(): void {
    if (!this.#full) return
    const held = this.#waitingBytes + this.#batchBytes
    if (held < this.lowWaterMark || held === 0) this.#full = false
  }
}

/** A copy of `data` in a buffer of its own (never a slice of Node's shared allocation pool). */
function copyOf(data: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.byteLength)
  copy.set(data)
  return copy
}
