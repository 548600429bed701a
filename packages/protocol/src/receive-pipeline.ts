import {
  InvalidArgumentError,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  SocketError,
} from '@socketlite/socket-base'
import { checkInteger, emptyBuffer } from './internal.js'

/** What a {@link ReceivePipeline} needs besides its first filter. */
export interface ReceivePipelineInit {
  /**
   * Largest frame in bytes, counted whole (header + body + terminator or marks), inclusive. Each filter rejects a
   * larger frame with `ProtocolError` code `ERR_REQUEST_TOO_LARGE`, whatever the chunking.
   */
  maxRequestLength: number
}

/** How many filter switches in a row may consume no byte before the pipeline gives up. */
const maxZeroProgressSwitches = 16

/**
 * A chunk pushed while unread bytes wait is copied into the pipeline's own buffer unless it is at least this long
 * (and not a small view of a much larger buffer): a chunk kept by reference costs its Buffer objects and backing
 * store besides its bytes, far more than a few bytes' worth.
 */
const keepChunksFrom = 4096

/** Smallest and largest buffer that small chunks are copied into. */
const minCoalesce = 1024
const maxCoalesce = 65536

function asSocketError(error: unknown): SocketError {
  if (SocketError.isSocketError(error)) return error
  return new ProtocolError('The receive filter threw', { cause: error })
}

function checkFilter(filter: unknown): void {
  if (typeof filter !== 'object' || filter === null || typeof (filter as { filter?: unknown }).filter !== 'function') {
    throw new InvalidArgumentError('filter must be a ReceiveFilter')
  }
}

/**
 * Drives one session's receive filters over its chunks (SuperSocket's `AppSession.FilterRequest` loop).
 *
 * Chunks are {@link ReceivePipeline.push}ed as they arrive (they must not be reused: requests may be views of them);
 * {@link ReceivePipeline.next} parses lazily, one request at a time, so a handler can switch filters or close
 * before the rest is parsed. Unread bytes cost about their size: a chunk pushed while nothing is unread is read in
 * place, and small chunks pushed while earlier bytes wait are copied into one buffer the pipeline owns. The pipeline
 * enforces the {@link ReceiveFilter} rules: every call must consume a byte or switch filters, never more than it was
 * given, and a chain of switches that consume nothing is bounded.
 *
 * @example
 * ```ts
 * const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), { maxRequestLength: 65536 })
 * socket.on('data', (chunk) => {
 *   pipeline.push(chunk)
 *   for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) handle(request)
 * })
 * ```
 */
export class ReceivePipeline<TRequest> {
  #home: ReceiveFilter<TRequest>
  #filter: ReceiveFilter<TRequest>
  readonly #context: ReceiveFilterContext<TRequest>
  #chunks: Buffer[] = []
  #head = 0
  /** Where small chunks are copied: written up to `#tailUsed`; the last chunk is its `[#tailStart, #tailUsed)`. */
  #tail: Buffer = emptyBuffer
  #tailStart = 0
  #tailUsed = 0
  /** Whether the last chunk is the tail's open view, which the next small chunk extends. */
  #tailOpen = false
  #offset = 0
  #pending = 0
  #error: SocketError | undefined
  #zeroProgressSwitches = 0

  /**
   * @param filter the first filter; {@link ReceivePipeline.reset} returns to it (or to the last one given to
   *   {@link ReceivePipeline.setNextFilter}).
   * @throws {InvalidArgumentError} not a filter, or `maxRequestLength` not a positive integer.
   */
  constructor(filter: ReceiveFilter<TRequest>, init: ReceivePipelineInit) {
    checkFilter(filter)
    const maxRequestLength = checkInteger('maxRequestLength', init?.maxRequestLength, 1)
    this.#home = filter
    this.#filter = filter
    this.#context = { maxRequestLength, request: undefined, nextFilter: undefined }
  }

  /** The filter now parsing. */
  get filter(): ReceiveFilter<TRequest> {
    return this.#filter
  }

  /** Largest frame in bytes, inclusive. */
  get maxRequestLength(): number {
    return this.#context.maxRequestLength
  }

  /** The error that failed the pipeline, if any; {@link ReceivePipeline.next} keeps throwing it until a reset. */
  get error(): SocketError | undefined {
    return this.#error
  }

  /** Bytes pushed but not yet given to a filter. */
  get pendingBytes(): number {
    return this.#pending
  }

  /** {@link ReceivePipeline.pendingBytes} plus the bytes of a partial frame held by the current filter. */
  get bufferedBytes(): number {
    return this.#pending + this.#filter.leftBufferSize
  }

  /**
   * Switch filters from the next unread byte on (the session's `setNextReceiveFilter`): nothing is lost or parsed
   * twice. The new filter also becomes the one {@link ReceivePipeline.reset} returns to.
   * @throws {InvalidArgumentError} not a filter.
   */
  setNextFilter(filter: ReceiveFilter<TRequest>): void {
    checkFilter(filter)
    this.#filter = filter
    this.#home = filter
  }

  /**
   * Append a received chunk. Requests may be views of it: do not reuse its memory. May be called while earlier
   * chunks are unread: then a chunk under 4 KiB (or a view of a buffer over twice its size) is copied into a buffer
   * the pipeline owns, so that unread bytes cost about their size however small the reads. Ignored once the
   * pipeline has failed.
   */
  push(chunk: Uint8Array): void {
    const length = chunk.length
    if (this.#error !== undefined || length === 0) return
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.#pending === 0 || (length >= keepChunksFrom && buffer.buffer.byteLength <= 2 * length)) {
      this.#chunks.push(buffer)
      this.#tailOpen = false
    } else this.#coalesce(buffer)
    this.#pending += length
  }

  /**
   * Parse lazily: the next request from the bytes pushed so far, or `undefined` when more bytes are needed.
   * @throws {ProtocolError} malformed input (`ERR_PROTOCOL`), a frame over the limit (`ERR_REQUEST_TOO_LARGE`), or a
   *   filter that breaks the rules (consumes nothing without switching, more than it was given, or switches in a
   *   loop). A filter that throws anything but a `SocketError` is reported as `ERR_PROTOCOL` with it as `cause`.
   *   After a throw the pipeline stays failed: every later call throws the same error until
   *   {@link ReceivePipeline.reset}.
   */
  next(): TRequest | undefined {
    if (this.#error !== undefined) throw this.#error
    const context = this.#context
    // The context's slots are empty here: cleared after every call, and on reset and failure.
    while (this.#pending > 0) {
      const chunk = this.#chunks[this.#head] as Buffer
      const offset = this.#offset
      const length = chunk.length - offset
      let consumed: number
      try {
        consumed = this.#filter.filter(chunk, offset, length, context)
      } catch (error) {
        throw this.#fail(asSocketError(error))
      }
      const request = context.request
      const nextFilter = context.nextFilter
      if (request !== undefined) context.request = undefined
      if (nextFilter !== undefined) context.nextFilter = undefined
      if (consumed > 0 && consumed <= length && Number.isInteger(consumed)) {
        this.#zeroProgressSwitches = 0
        this.#pending -= consumed
        if (consumed === length) this.#dropChunk()
        else this.#offset = offset + consumed
      } else this.#checkNoProgress(consumed, length, nextFilter)
      if (nextFilter !== undefined) this.#filter = nextFilter
      if (request !== undefined) return request
    }
    return undefined
  }

  /**
   * Datagram boundary (UDP): parse every byte pushed and return the requests. A datagram is all or nothing: when it
   * is malformed or ends inside a frame, this throws, and the pipeline resets (see {@link ReceivePipeline.reset}) so
   * the next datagram starts clean; none of this datagram's requests are returned.
   * @throws {ProtocolError} as {@link ReceivePipeline.next}, or `ERR_PROTOCOL` for a partial frame at the end.
   */
  drainDatagram(): TRequest[] {
    const requests: TRequest[] = []
    try {
      for (let request = this.next(); request !== undefined; request = this.next()) requests.push(request)
      if (this.#filter.leftBufferSize > 0) {
        throw new ProtocolError(`The datagram ends inside a frame (${this.#filter.leftBufferSize} bytes)`)
      }
    } catch (error) {
      this.reset()
      throw error
    }
    return requests
  }

  /**
   * Drop every unread byte and partial frame, clear the failed state, and go back to the filter given to the
   * constructor or to the last {@link ReceivePipeline.setNextFilter} (switches made by filters are undone).
   */
  reset(): void {
    this.#context.request = undefined
    this.#context.nextFilter = undefined
    this.#clearChunks()
    this.#error = undefined
    this.#zeroProgressSwitches = 0
    if (this.#filter !== this.#home) this.#filter.reset()
    this.#filter = this.#home
    this.#home.reset()
  }

  /** The chunk at the head is read to its end. */
  #dropChunk(): void {
    this.#offset = 0
    this.#chunks[this.#head++] = emptyBuffer
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0
      this.#head = 0
      // Nothing unread: let the tail go (views handed out keep what they need of it).
      if (this.#tail !== emptyBuffer) this.#dropTail()
    }
  }

  /** Copies `chunk` after the unread bytes, into the tail (a new one when it is full). */
  #coalesce(chunk: Buffer): void {
    const length = chunk.length
    let tail = this.#tail
    let used = this.#tailUsed
    if (used + length > tail.length) {
      // The old tail's chunk stays as it is; new bytes go to a new buffer, twice as large, up to maxCoalesce.
      let capacity = tail.length * 2
      if (capacity < minCoalesce) capacity = minCoalesce
      if (capacity > maxCoalesce) capacity = maxCoalesce
      if (capacity < length) capacity = length
      tail = this.#tail = Buffer.allocUnsafeSlow(capacity)
      used = 0
      this.#tailOpen = false
    }
    chunk.copy(tail, used)
    this.#tailUsed = used + length
    if (this.#tailOpen) {
      // Extends the last chunk in place: same start, so an offset into it stays right.
      this.#chunks[this.#chunks.length - 1] = tail.subarray(this.#tailStart, used + length)
    } else {
      this.#tailStart = used
      this.#tailOpen = true
      this.#chunks.push(tail.subarray(used, used + length))
    }
  }

  #dropTail(): void {
    this.#tail = emptyBuffer
    this.#tailStart = 0
    this.#tailUsed = 0
    this.#tailOpen = false
  }

  #clearChunks(): void {
    this.#chunks = []
    this.#head = 0
    this.#offset = 0
    this.#pending = 0
    this.#dropTail()
  }

  /**
   * A call that consumed no byte is fine once in a while if it switched filters; anything else breaks the rules.
   * @throws {ProtocolError} the pipeline fails.
   */
  #checkNoProgress(consumed: number, length: number, nextFilter: ReceiveFilter<TRequest> | undefined): void {
    if (!Number.isInteger(consumed) || consumed < 0 || consumed > length) {
      throw this.#fail(new ProtocolError(`The receive filter consumed ${consumed} of ${length} bytes`))
    }
    if (nextFilter === undefined) throw this.#fail(new ProtocolError('The receive filter made no progress'))
    if (++this.#zeroProgressSwitches > maxZeroProgressSwitches) {
      throw this.#fail(new ProtocolError('The receive filters switched in a loop without consuming a byte'))
    }
  }

  #fail(error: SocketError): SocketError {
    this.#error = error
    this.#context.request = undefined
    this.#context.nextFilter = undefined
    this.#clearChunks()
    return error
  }
}
