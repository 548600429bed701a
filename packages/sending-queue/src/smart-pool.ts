import { InvalidArgumentError, PoolExhaustedError } from '@socketlite/socket-base'

/** Options of {@link SmartPool}. */
export interface SmartPoolInit<T extends object> {
  /** Makes a new item when none is free and the pool is below `maxSize`. */
  create: () => T
  /**
   * Called on every item given back by `release`, before it becomes free again. If it throws, the item is
   * dropped from the pool (a fresh one will be created in its place) and the error propagates.
   * @default no reset
   */
  reset?: (item: T) => void
  /**
   * Items created up front.
   * @default 0
   */
  initialSize?: number
  /** Most items the pool will ever have created and not dropped at once. A positive integer. */
  maxSize: number
}

/**
 * An object pool that grows on demand, one item at a time, up to `maxSize` (SuperSocket's `SmartPool`, without
 * its spin-wait: an exhausted pool fails at once). Items are objects, tracked by identity, so giving back an item
 * twice or an item the pool did not hand out is caught.
 *
 * @example
 * ```ts
 * const pool = new SmartPool({ create: () => new Uint8Array(4096), reset: (b) => b.fill(0), maxSize: 64 })
 * const length = pool.use((scratch) => encodeInto(scratch, message))
 * ```
 */
export class SmartPool<T extends object> {
  /** The most items this pool creates. */
  readonly maxSize: number

  readonly #create: () => T
  readonly #reset: ((item: T) => void) | undefined
  /** Free items; the last released is handed out first (warm in cache). */
  readonly #free: T[] = []
  /** Every item the pool owns, mapped to whether it is handed out (a flag flip is cheaper than Set add/delete). */
  readonly #handedOut = new Map<T, boolean>()
  #inUse = 0

  /**
   * @throws {InvalidArgumentError} `create` is not a function, `maxSize` is not a positive integer, or
   * `initialSize` is not an integer from 0 to `maxSize`.
   */
  constructor(init: SmartPoolInit<T>) {
    const { create, reset, initialSize = 0, maxSize } = init
    if (typeof create !== 'function') throw new InvalidArgumentError('create must be a function')
    if (reset !== undefined && typeof reset !== 'function') throw new InvalidArgumentError('reset must be a function')
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) {
      throw new InvalidArgumentError(`maxSize must be a positive integer, got ${String(maxSize)}`)
    }
    if (!Number.isSafeInteger(initialSize) || initialSize < 0 || initialSize > maxSize) {
      throw new InvalidArgumentError(`initialSize must be an integer from 0 to maxSize, got ${String(initialSize)}`)
    }
    this.maxSize = maxSize
    this.#create = create
    this.#reset = reset
    for (let i = 0; i < initialSize; i += 1) this.#free.push(this.#make())
  }

  /** Items created and still owned by the pool (free + in use). */
  get size(): number {
    return this.#handedOut.size
  }

  /** Items free to acquire without creating one. */
  get available(): number {
    return this.#free.length
  }

  /** Items handed out and not yet released. */
  get inUse(): number {
    return this.#inUse
  }

  /**
   * A free item, or a new one while the pool is below `maxSize`.
   * @throws {PoolExhaustedError} every one of `maxSize` items is in use.
   */
  acquire(): T {
    const item = this.tryAcquire()
    if (item === undefined) {
      throw new PoolExhaustedError(`The pool is exhausted: all ${this.maxSize} items are in use`)
    }
    return item
  }

  /** Like {@link SmartPool.acquire}, but `undefined` instead of throwing when the pool is exhausted. */
  tryAcquire(): T | undefined {
    let item = this.#free.pop()
    if (item === undefined) {
      if (this.#handedOut.size >= this.maxSize) return undefined
      item = this.#make()
    }
    this.#handedOut.set(item, true)
    this.#inUse += 1
    return item
  }

  /**
   * Give `item` back: it is reset and becomes free.
   * @throws {InvalidArgumentError} `item` is not in use from this pool (released twice, or never acquired here).
   */
  release(item: T): void {
    if (this.#handedOut.get(item) !== true) {
      throw new InvalidArgumentError('release: the item is not in use from this pool (released twice, or foreign)')
    }
    this.#inUse -= 1
    if (this.#reset !== undefined) {
      try {
        this.#reset(item)
      } catch (error) {
        this.#handedOut.delete(item)
        throw error
      }
    }
    this.#handedOut.set(item, false)
    this.#free.push(item)
  }

  /**
   * Acquire an item, call `fn` with it, and release it on every path: after `fn` returns or throws, or, when `fn`
   * returns a promise, once that promise settles (the promise returned then settles the same way, after the release).
   * When `fn` failed, an error from `reset` is dropped so that `fn`'s error is the one seen.
   * @throws {PoolExhaustedError} as {@link SmartPool.acquire}; whatever `fn` throws.
   */
  use<R>(fn: (item: T) => R): R {
    const item = this.acquire()
    let result: R
    try {
      result = fn(item)
    } catch (error) {
      this.#releaseQuietly(item)
      throw error
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          this.release(item)
          return value
        },
        (error: unknown) => {
          this.#releaseQuietly(item)
          throw error
        },
      ) as R
    }
    this.release(item)
    return result
  }

  /** Release after `fn` failed: a failing `reset` must not hide `fn`'s error (the item is dropped either way). */
  #releaseQuietly(item: T): void {
    try {
      this.release(item)
    } catch {
      // reset threw: release already dropped the item.
    }
  }

  #make(): T {
    const item = this.#create()
    if ((typeof item !== 'object' && typeof item !== 'function') || item === null) {
      throw new InvalidArgumentError('create must return an object')
    }
    this.#handedOut.set(item, false)
    return item
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
