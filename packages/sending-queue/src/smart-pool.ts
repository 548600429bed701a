import { InvalidArgumentError } from '@socketlite/socket-base'

/** Options of {@link SmartPool}. */
export interface SmartPoolInit {
  /**
   * Bytes per chunk. A positive integer.
   * @default 16384
   */
  chunkSize?: number
  /**
   * Most chunks the pool makes and keeps (free + in use); once all are in use, queues use chunks of their own that
   * the garbage collector reclaims (counted in {@link SmartPool.overflows}). A positive integer.
   * @default 1024
   */
  maxChunks?: number
}

/**
 * One fixed-size buffer a {@link SendingQueue} appends small payloads into. Internal to this package: a chunk
 * belongs to one queue from the moment it is taken until the queue gives it back.
 */
export class Chunk {
  readonly buffer: Buffer
  /** The pool it returns to; `undefined` for a chunk made because the pool was exhausted (or there is none). */
  readonly pool: SmartPool | undefined
  /** The queue that holds it; `undefined` while free. */
  owner: object | undefined
  /** Where its bytes start and end in the owning queue's byte stream (see `SendingQueue`). */
  start = 0
  end = 0

  constructor(size: number, pool: SmartPool | undefined) {
    // Never Node's shared allocation pool: a queued chunk must pin nothing but itself.
    this.buffer = Buffer.allocUnsafeSlow(size)
    this.pool = pool
  }
}

/**
 * The bounded pool of fixed-size send chunks shared by many {@link SendingQueue}s (SuperSocket's `SmartPool`, whose
 * pooled items were exactly these send buffers; without its spin-wait: an exhausted pool never blocks).
 * A queue takes a chunk when it has small payloads to append, and gives it back as soon as every byte of it was
 * written (or dropped): a chunk belongs to one queue at a time, so a session that stops reading holds only its own
 * chunks. When every chunk is in use, a queue makes one of its own (not pooled, reclaimed by the garbage collector)
 * and {@link SmartPool.overflows} counts it.
 *
 * @example
 * ```ts
 * const pool = new SmartPool({ chunkSize: 16_384, maxChunks: 1_024 }) // at most 16 MiB kept
 * const queue = new SendingQueue({ highWaterMark: 65_536, pool })
 * console.log(pool.size, pool.inUse, pool.overflows)
 * ```
 */
export class SmartPool {
  /** Bytes per chunk. */
  readonly chunkSize: number
  /** Most chunks the pool keeps. */
  readonly maxChunks: number
  /** Free chunks; the last given back is handed out first (warm in cache). */
  readonly #free: Chunk[] = []
  #size = 0
  #overflows = 0

  /** @throws {InvalidArgumentError} `chunkSize` or `maxChunks` is not a positive integer. */
  constructor(init: SmartPoolInit = {}) {
    const { chunkSize = 16_384, maxChunks = 1_024 } = init
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${String(chunkSize)}`)
    }
    if (!Number.isSafeInteger(maxChunks) || maxChunks < 1) {
      throw new InvalidArgumentError(`maxChunks must be a positive integer, got ${String(maxChunks)}`)
    }
    this.chunkSize = chunkSize
    this.maxChunks = maxChunks
  }

  /** Chunks the pool has made and keeps (free + in use). */
  get size(): number {
    return this.#size
  }

  /** Chunks held by queues now. */
  get inUse(): number {
    return this.#size - this.#free.length
  }

  /** Chunks free to take without making one. */
  get available(): number {
    return this.#free.length
  }

  /** Chunks queues had to make themselves because every pooled chunk was in use (since the pool was made). */
  get overflows(): number {
    return this.#overflows
  }

  /** A free chunk for `owner`, or `undefined` when all `maxChunks` are in use (counted as an overflow). */
  take(owner: object): Chunk | undefined {
    let chunk = this.#free.pop()
    if (chunk === undefined) {
      if (this.#size >= this.maxChunks) {
        this.#overflows += 1
        return undefined
      }
      chunk = new Chunk(this.chunkSize, this)
      this.#size += 1
    }
    chunk.owner = owner
    return chunk
  }

  /**
   * Give `chunk` back; it may be handed to another queue at once.
   * @throws {InvalidArgumentError} `chunk` is not held by `owner` (given back twice, or never taken by it), or is not
   * from this pool.
   */
  give(chunk: Chunk, owner: object): void {
    if (chunk.pool !== this || chunk.owner !== owner) {
      throw new InvalidArgumentError('SmartPool: a chunk given back is not held by this owner from this pool')
    }
    chunk.owner = undefined
    this.#free.push(chunk)
  }
}
