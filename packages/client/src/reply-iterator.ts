/** What a {@link ReplyIterator} tells the client that feeds it. */
export interface ReplyIteratorOwner<T> {
  /** The iterator fell to its low water mark after being full: reading may resume. */
  drained(iterator: ReplyIterator<T>): void
  /** The consumer stopped (`break`, `return()`): forget the iterator. */
  detach(iterator: ReplyIterator<T>): void
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void
  reject(error: unknown): void
}

const doneResult: IteratorResult<never> = Object.freeze({ value: undefined, done: true })

/**
 * One `for await (const reply of client)` loop: the replies that arrived since it started and that its consumer has
 * not taken yet, bounded in bytes. It holds at most about `highWaterMark` bytes of frames (a reply is never refused:
 * it was already parsed): once it holds that much, the client stops reading the connection (the server's own
 * sending queue then fills, and it stops reading ours), and reads again when the consumer took it down to half.
 * Ends when the client closes: with the replies still held first, then `done` (a close by `close()` or by the
 * server), or the error that closed it.
 */
export class ReplyIterator<T> implements AsyncIterableIterator<T> {
  readonly #owner: ReplyIteratorOwner<T>
  readonly #highWaterMark: number
  #values: T[] = []
  #sizes: number[] = []
  #head = 0
  #bytes = 0
  #waiters: Waiter<T>[] = []
  #ended = false
  #error: unknown
  #hasError = false

  constructor(owner: ReplyIteratorOwner<T>, highWaterMark: number) {
    this.#owner = owner
    this.#highWaterMark = highWaterMark
  }

  /** Bytes of the replies held (their frames' sizes). */
  get bufferedBytes(): number {
    return this.#bytes
  }

  /** Replies held. */
  get bufferedReplies(): number {
    return this.#values.length - this.#head
  }

  /** True while it holds `highWaterMark` bytes or more: the client does not read. */
  get full(): boolean {
    return this.#bytes >= this.#highWaterMark
  }

  /** True once ended (by the client closing, or by `return()`). */
  get ended(): boolean {
    return this.#ended
  }

  /** A reply of `size` bytes arrived. */
  push(value: T, size: number): void {
    if (this.#ended) return
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter.resolve({ value, done: false })
      return
    }
    this.#values.push(value)
    this.#sizes.push(size)
    this.#bytes += size
  }

  /** The client closed: hand out what is held, then end (with `error`, when given, instead of `done`). */
  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    if (error !== undefined) {
      this.#error = error
      this.#hasError = true
    }
    if (this.bufferedReplies > 0) return // the waiters list is empty while replies are held
    this.#settleWaiters()
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#values.length) return Promise.resolve({ value: this.#take(), done: false })
    if (this.#ended) return this.#endResult()
    return new Promise<IteratorResult<T>>((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  /** The consumer is done (`break` out of `for await`): the replies held are dropped and reading may resume. */
  return(): Promise<IteratorResult<T>> {
    const wasEnded = this.#ended
    this.#ended = true
    this.#hasError = false
    this.#error = undefined
    this.#values = []
    this.#sizes = []
    this.#head = 0
    this.#bytes = 0
    this.#settleWaiters()
    if (!wasEnded) this.#owner.detach(this)
    return Promise.resolve(doneResult)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #take(): T {
    const index = this.#head
    const value = this.#values[index] as T
    const size = this.#sizes[index] as number
    const before = this.#bytes
    this.#values[index] = undefined as T
    this.#head = index + 1
    this.#bytes -= size
    if (this.#head === this.#values.length) {
      this.#values = []
      this.#sizes = []
      this.#head = 0
    } else if (this.#head > 1_024 && this.#head * 2 > this.#values.length) {
      this.#values = this.#values.slice(this.#head)
      this.#sizes = this.#sizes.slice(this.#head)
      this.#head = 0
    }
    // Down to half: the client reads again unless another iterator is still full.
    const half = this.#highWaterMark / 2
    if (before > half && this.#bytes <= half && !this.#ended) this.#owner.drained(this)
    return value
  }

  #endResult(): Promise<IteratorResult<T>> {
    if (this.#hasError) {
      const error = this.#error
      this.#hasError = false
      this.#error = undefined
      return Promise.reject(error)
    }
    return Promise.resolve(doneResult)
  }

  #settleWaiters(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) {
      if (this.#hasError) {
        const error = this.#error
        this.#hasError = false
        this.#error = undefined
        waiter.reject(error)
      } else waiter.resolve(doneResult)
    }
  }
}
