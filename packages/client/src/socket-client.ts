import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { ReceivePipeline, type StringRequestInfo } from '@socketlite/protocol'
import {
  CloseReason,
  ConnectError,
  closeReasonName,
  DatagramTooLargeError,
  type EndPoint,
  InvalidArgumentError,
  RequestTimeoutError,
  SendTimeoutError,
  SessionClosedError,
  SocketError,
} from '@socketlite/socket-base'
import { reconnectDelay } from './backoff.js'
import { type Connection, openConnection } from './connection.js'
import { ReplyIterator, type ReplyIteratorOwner } from './reply-iterator.js'
import { SendLedger } from './send-ledger.js'
import {
  type DisconnectInfo,
  type RequestOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
  type SocketClientEvents,
  type SocketClientInit,
  type SocketClientState,
} from './socket-client-options.js'

/** A `send()` (or `request()`) waiting for room or for the connection. */
interface SendWaiter {
  /** The caller's data, copied (or encoded) when it started waiting. */
  readonly payload: Buffer
  resolve(): void
  reject(error: Error): void
  timer: NodeJS.Timeout | undefined
  /** The request this send belongs to, if any. */
  slot: RequestSlot | undefined
}

/** A `request()`: its place in the reply order once its bytes are queued. */
interface RequestSlot {
  settled: boolean
  /** Its send, while it waits to be queued. */
  waiter: SendWaiter | undefined
  resolve(reply: unknown): void
  fail(error: unknown): void
}

/** A `connect()` caller waiting for the connection. */
interface ConnectWaiter {
  resolve(): void
  reject(error: Error): void
}

const resolved: Promise<void> = Promise.resolve()

/**
 * The client side of socketlite (SuperSocket's `EasyClient`): one connection to a server over TCP, TLS or UDP, whose
 * replies are framed by the same receive filters the server uses (any filter of `@socketlite/protocol`, or your own)
 * and sent through the same bounded, coalescing sending queue as a server session.
 *
 * - **Connecting.** `connect()` resolves once connected, or rejects with `ConnectError` (`ERR_CONNECT_FAILED`)
 *   within `connectTimeOut` (a refused or unreachable port, a name that does not resolve, a TLS handshake that fails
 *   or never completes). TLS verifies the server's certificate unless `tls.insecure`.
 * - **Sending.** `trySend(data)` queues a copy (a string is encoded) and returns true, or returns false when there is
 *   no room (the payload must fit under `sendHighWaterMark`, unless the queue is empty), while `send` calls wait, or
 *   while not connected. `send(data)` waits for room (and, while the client reconnects, for the connection) up to
 *   `sendTimeOut`, then rejects with `SendTimeoutError`; with `SessionClosedError` once the client is closed. The
 *   caller may reuse its buffer as soon as the call returns. UDP: one datagram per call.
 * - **Replies.** Every reply is emitted as `message`, handed to every `for await (const reply of client)` loop
 *   running, and settles the oldest pending {@link SocketClient.request}. A loop holds at most `replyHighWaterMark`
 *   bytes its consumer has not taken: then the client stops reading (and the server, its queue full, stops reading
 *   ours) until the consumer catches up.
 * - **Closing.** `close()` sends what was queued before it (at most `closeTimeOut`), ends the connection, and
 *   resolves once it is closed. Loops end (`done`), waiting sends and pending requests reject with
 *   `SessionClosedError`.
 * - **Drops and reconnect.** A connection that ends by itself (the server closed it, a reset, a malformed reply: a
 *   `ProtocolError`, never a crash) emits `disconnected(reason, info)`, where `info.unsent` counts the last sends
 *   that never left the client's queue and `info.unconfirmed` those in the write under way. Nothing is ever sent
 *   again by the client. With `reconnect`, it then emits
 *   `reconnecting(attempt, delay)`, waits `delay`, and connects again (exponential back-off with jitter), until
 *   `maxAttempts` attempts in a row failed (`reconnectFailed`; waiting sends reject with the `ConnectError`).
 *   Without, the client is closed (loops end with the error, if any).
 *
 * @example
 * ```ts
 * const client = new SocketClient({ host: '127.0.0.1', port: 2020, receiveFilter: new CommandLineReceiveFilter() })
 * await client.connect()
 * client.on('message', (reply) => console.log(reply.key, reply.body))
 * await client.send('ECHO hello\r\n')
 * await client.close()
 * ```
 */
export class SocketClient<TReply = StringRequestInfo>
  extends EventEmitter<SocketClientEvents<TReply>>
  implements AsyncIterable<TReply>
{
  readonly #options: ResolvedClientOptions<TReply>
  #state: SocketClientState = 'idle'
  /** The connection now (connected or closing), with its parser and send ledger. */
  #connection: Connection | undefined
  #pipeline: ReceivePipeline<TReply> | undefined
  #ledger = new SendLedger()
  /** The server ended the connection (its FIN). */
  #peerEnded = false
  /** The reason the client closed the connection with, when it did so while the connection was open. */
  #closingReason: CloseReason | undefined
  /** The error behind that close (a `ProtocolError`, a listener's exception, a UDP socket error). */
  #dropError: Error | undefined

  /**
   * Reconnect attempts in a row that gave no lasting connection (0 before the first retry): reset once a connection
   * received data, or lasted `maxDelay`.
   */
  #attempt = 0
  /** When the current connection was made (`performance.now()`). */
  #connectedAt = 0
  /** Tells a connect attempt's result from a stale one's. */
  #generation = 0
  #abort: AbortController | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #connectWaiters: ConnectWaiter[] = []

  #waiters: SendWaiter[] = []
  /** Requests whose bytes are queued on this connection, oldest first: `#slots[#slotHead..]`. */
  #slots: RequestSlot[] = []
  #slotHead = 0

  readonly #iterators = new Set<ReplyIterator<TReply>>()
  readonly #iteratorOwner: ReplyIteratorOwner<TReply>
  /** Reading is paused because a `for await` loop is full. */
  #paused = false
  #resumeScheduled = false

  #closing: Promise<void> | undefined
  #resolveClosing: (() => void) | undefined

  /**
   * @throws {InvalidArgumentError} a missing or invalid option (named in the message): `host`, `port`, exactly one of
   *   `receiveFilter` and `receiveFilterFactory`, `tls` in UDP mode, an unreadable `tls.caFile`, a limit out of range.
   */
  constructor(init: SocketClientInit<TReply>) {
    super()
    this.#options = resolveClientOptions(init)
    this.#iteratorOwner = {
      drained: () => this.#iteratorDrained(),
      detach: (iterator) => {
        this.#iterators.delete(iterator)
        this.#iteratorDrained()
      },
    }
  }

  /** `idle` → `connecting` → `connected` → (`reconnecting` → `connected` …) → `closing` → `closed`. */
  get state(): SocketClientState {
    return this.#state
  }

  /** True while a connection is up and the client is not closing. */
  get connected(): boolean {
    return this.#state === 'connected'
  }

  /** `'tcp'` or `'udp'`. */
  get mode(): 'tcp' | 'udp' {
    return this.#options.target.mode
  }

  /** True for a TLS client. */
  get secure(): boolean {
    return this.#options.target.tls !== undefined
  }

  /** The server's endpoint on the current connection (`undefined` while there is none). */
  get remoteEndPoint(): EndPoint | undefined {
    return this.#connection?.session.remoteEndPoint
  }

  /** The local endpoint of the current connection (`undefined` while there is none). */
  get localEndPoint(): EndPoint | undefined {
    return this.#connection?.session.localEndPoint
  }

  /** Bytes queued on the current connection and not written yet. */
  get pendingBytes(): number {
    return this.#connection?.session.pendingBytes ?? 0
  }

  /** True while connected with room in the sending queue and no `send` waiting (`trySend` would be taken). */
  get writable(): boolean {
    return this.#state === 'connected' && this.#waiters.length === 0 && this.#connection?.session.writable === true
  }

  /** `send` and `request` calls waiting for room or for the connection. */
  get waitingSends(): number {
    return this.#waiters.length
  }

  /** `request` calls waiting for their reply on this connection (timed-out ones keep their place until it comes). */
  get pendingRequests(): number {
    return this.#slots.length - this.#slotHead
  }

  /**
   * Connect. Resolves once connected (at once when connected already; while connecting or reconnecting, when that
   * succeeds). Without `reconnect` one attempt is made; with it, failed attempts are retried with the back-off
   * (`reconnecting` events) and it rejects once `maxAttempts` retries failed. A closed client may connect again.
   * @throws {ConnectError} (`ERR_CONNECT_FAILED`, asynchronously) the connection could not be made within
   *   `connectTimeOut` (`cause`: the system error, or the `TlsHandshakeError`), or `close()` was called first.
   * @throws {SessionClosedError} (asynchronously) the client is closing.
   */
  connect(): Promise<void> {
    switch (this.#state) {
      case 'connected':
        return resolved
      case 'closing':
        return Promise.reject(new SessionClosedError('The client is closing'))
      case 'connecting':
      case 'reconnecting':
        return this.#waitConnected()
      default: {
        this.#state = 'connecting'
        this.#attempt = 0
        this.#closing = undefined
        const waiting = this.#waitConnected()
        this.#attemptConnect()
        return waiting
      }
    }
  }

  /**
   * Queue a copy of `data` (a string is encoded with `textEncoding`; nothing is appended). False, queuing nothing,
   * when not connected, while `send` calls wait (their order is kept), or without room: the payload must fit under
   * `sendHighWaterMark`, unless the queue is empty. UDP: one datagram; false when larger than one. Never throws.
   */
  trySend(data: Uint8Array | string): boolean {
    const connection = this.#connection
    if (this.#state !== 'connected' || connection === undefined || this.#waiters.length > 0) return false
    return this.#offer(connection, data)
  }

  /**
   * Queue a copy of `data`, waiting for room (and, while the client connects or reconnects, for the connection) up
   * to `sendTimeOut`; calls that wait go out in call order. Resolves once queued (not once written).
   * @throws {SendTimeoutError} (asynchronously) no room (or no connection) within `sendTimeOut`; nothing was sent.
   * @throws {SessionClosedError} (asynchronously) the client is not connected (never connected, closing, closed),
   *   or closed while the call waited.
   * @throws {ConnectError} (asynchronously) the client gave up reconnecting while the call waited.
   * @throws {DatagramTooLargeError} (asynchronously) UDP: larger than one datagram.
   * @throws {InvalidArgumentError} (asynchronously) `data` is neither a string nor a `Uint8Array`.
   */
  send(data: Uint8Array | string): Promise<void> {
    return this.#send(data, undefined)
  }

  /**
   * Send `data` and resolve with the next reply not claimed by an earlier request (first in, first out): for
   * protocols that answer every request exactly once, in order. A request that times out (or is aborted) keeps its
   * place: its reply, when it comes late, is dropped (still emitted as `message`), so later requests get their own
   * replies. Replies to data sent with `send`/`trySend` would be taken by pending requests: use `request` for every
   * message that gets a reply, or for none. Every reply also goes to `message` listeners and `for await` loops.
   * @throws {RequestTimeoutError} (asynchronously, `ERR_REQUEST_TIMEOUT`) no reply within `timeout`.
   * @throws {SessionClosedError} (asynchronously) the connection closed before the reply (the request may or may not
   *   have reached the server: see `disconnected`'s `info`), or the client is not connected.
   * @throws as {@link SocketClient.send} while the request waits to be queued (it is then never sent).
   */
  request(data: Uint8Array | string, options: RequestOptions = {}): Promise<TReply> {
    const { timeout = 10_000, signal } = options
    if (!Number.isSafeInteger(timeout) || timeout < 0) {
      return Promise.reject(new InvalidArgumentError(`timeout must be an integer >= 0 (ms), got ${String(timeout)}`))
    }
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<TReply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const onAbort = (): void => slot.fail(signal?.reason)
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const slot: RequestSlot = {
        settled: false,
        waiter: undefined,
        resolve(reply) {
          if (slot.settled) return
          slot.settled = true
          cleanup()
          resolve(reply as TReply)
        },
        fail: (error) => {
          if (slot.settled) return
          slot.settled = true
          cleanup()
          // Still waiting to be queued: it is never sent, and takes no place in the reply order.
          const waiter = slot.waiter
          if (waiter !== undefined) this.#dropWaiter(waiter, error)
          reject(error)
        },
      }
      if (timeout > 0) {
        timer = setTimeout(() => slot.fail(new RequestTimeoutError(`No reply within ${timeout} ms`)), timeout)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#send(data, slot).then(undefined, (error: unknown) => slot.fail(error))
    })
  }

  /**
   * Close: waiting sends and pending requests reject with `SessionClosedError`; what was queued before the call is
   * sent (at most `closeTimeOut`), the connection ends, and the promise resolves once it is closed, after
   * `disconnected(ClientClosing)`. Stops reconnecting; `for await` loops end. Every call returns the same promise,
   * which never rejects. A closed client may `connect()` again.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    switch (this.#state) {
      case 'idle':
      case 'closed':
        return resolved
      case 'connecting':
      case 'reconnecting': {
        this.#stopConnecting()
        this.#finish(undefined, new ConnectError('The client was closed before it connected'))
        return resolved
      }
      default: {
        this.#state = 'closing'
        this.#closing = new Promise<void>((resolve) => (this.#resolveClosing = resolve))
        this.#rejectWaiters(new SessionClosedError('The client is closing'))
        this.#closeConnection(CloseReason.ClientClosing, undefined)
        return this.#closing
      }
    }
  }

  /** `close()`, for `await using client = ...`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * The replies from now on, for `for await (const reply of client)`; several loops may run, each sees every reply.
   * A loop holds at most about `replyHighWaterMark` bytes its consumer has not taken; while one is that full the
   * client reads nothing more (so leave a loop with `break` rather than abandon it). It ends when the client
   * closes (at once if it is closed already): `done` after `close()` or the server's end, the error otherwise
   * (`ProtocolError`, `SessionClosedError` with the reset as its cause, the `ConnectError` of a give-up).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<TReply> {
    const iterator = new ReplyIterator<TReply>(this.#iteratorOwner, this.#options.replyHighWaterMark)
    if (this.#state === 'closed') iterator.end()
    else this.#iterators.add(iterator)
    return iterator
  }

  // ---- connecting ------------------------------------------------------------------------------------------------

  #waitConnected(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#connectWaiters.push({ resolve, reject }))
  }

  #attemptConnect(): void {
    const generation = ++this.#generation
    const abort = new AbortController()
    this.#abort = abort
    openConnection(this.#options.target, abort.signal).then(
      (connection) => this.#opened(connection, generation),
      (error: unknown) => this.#attemptFailed(error, generation),
    )
  }

  #stopConnecting(): void {
    this.#generation += 1
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    this.#abort?.abort(new SessionClosedError('The client was closed'))
    this.#abort = undefined
  }

  #opened(connection: Connection, generation: number): void {
    const session = connection.session
    if (generation !== this.#generation || (this.#state !== 'connecting' && this.#state !== 'reconnecting')) {
      // Closed meanwhile: this connection is not wanted.
      session.start({ onData() {}, onClosed: () => connection.dispose() })
      void session.close(CloseReason.ClientClosing)
      return
    }
    this.#abort = undefined
    let pipeline: ReceivePipeline<TReply>
    try {
      pipeline = new ReceivePipeline(this.#options.filter(randomUUID()), {
        maxRequestLength: this.#options.maxRequestLength,
      })
    } catch (error) {
      // The receive filter factory threw: count it as a failed attempt.
      session.start({ onData() {}, onClosed: () => connection.dispose() })
      void session.close(CloseReason.ClientClosing)
      this.#attemptFailed(error, generation)
      return
    }
    this.#connectedAt = performance.now()
    this.#connection = connection
    this.#pipeline = pipeline
    this.#ledger = new SendLedger()
    this.#peerEnded = false
    this.#closingReason = undefined
    this.#dropError = undefined
    this.#state = 'connected'
    connection.onSocketError = (error) => {
      if (this.#connection !== connection) return
      this.#closeConnection(CloseReason.SocketError, error)
    }
    session.start({
      onData: (data) => {
        if (this.#connection === connection) this.#received(data)
      },
      onWritabilityChanged: (writable) => {
        if (writable && this.#connection === connection) this.#flushWaiters()
      },
      onEnd: () => {
        if (this.#connection === connection) this.#peerEnded = true
      },
      onClosed: (reason) => this.#closed(connection, reason),
    })
    if (this.#anyIteratorFull()) {
      this.#paused = true
      session.pauseReceive()
    } else this.#paused = false
    this.#flushWaiters()
    const waiters = this.#connectWaiters
    this.#connectWaiters = []
    for (const waiter of waiters) waiter.resolve()
    this.#emitSafely('connected')
  }

  #attemptFailed(error: unknown, generation: number): void {
    if (generation !== this.#generation) return
    this.#abort = undefined
    if (this.#state !== 'connecting' && this.#state !== 'reconnecting') return
    const failure =
      SocketError.isSocketError(error) && error.code === 'ERR_CONNECT_FAILED'
        ? error
        : new ConnectError(`Cannot connect to ${this.#options.target.host}:${this.#options.target.port}`, {
            cause: error,
          })
    const reconnect = this.#options.reconnect
    if (reconnect !== undefined && this.#attempt < reconnect.maxAttempts) {
      this.#scheduleAttempt(failure)
      return
    }
    this.#finish(failure, failure)
    if (reconnect !== undefined) this.#emitSafely('reconnectFailed', failure)
  }

  /** Wait the back-off delay of the next attempt, announced first, then make it. */
  #scheduleAttempt(cause: Error | undefined): void {
    const reconnect = this.#options.reconnect
    if (reconnect === undefined) return
    this.#attempt += 1
    const attempt = this.#attempt
    const delay = reconnectDelay(attempt, reconnect)
    this.#state = 'reconnecting'
    const generation = this.#generation
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      if (generation === this.#generation && this.#state === 'reconnecting') this.#attemptConnect()
    }, delay)
    this.#emitSafely('reconnecting', attempt, delay, cause)
  }

  // ---- the connection's end --------------------------------------------------------------------------------------

  /** Close the current connection with `reason` (the first reason wins), remembering why. */
  #closeConnection(reason: CloseReason, error: Error | undefined): void {
    const session = this.#connection?.session
    if (session === undefined) return
    if (session.state === 'open') {
      this.#closingReason ??= reason
      if (error !== undefined) this.#dropError ??= error
    }
    void session.close(reason)
  }

  #closed(connection: Connection, sessionReason: CloseReason): void {
    connection.dispose()
    if (this.#connection !== connection) return
    const session = connection.session
    const reason = this.#closingReason ?? (this.#peerEnded ? CloseReason.ServerClosing : sessionReason)
    const error = this.#dropError ?? (reason === CloseReason.ServerClosing ? undefined : session.closeError)
    const { unsent, unconfirmed } = this.#ledger.report(session.bytesSent, session.droppedBytes)
    this.#connection = undefined
    this.#pipeline = undefined
    this.#paused = false
    const lost = new SessionClosedError(`The connection closed (${closeReasonName(reason)}) before the reply`, {
      cause: error,
    })
    const pendingRequests = this.#failSlots(lost)
    const reconnect = this.#options.reconnect
    // A connection that lasted maxDelay counts as made even if the server never spoke (the back-off starts over);
    // one that ended sooner, silent, counts as a failed attempt (a server that accepts and drops at once, over its
    // connection limit, is not hammered at the initial delay).
    if (reconnect !== undefined && performance.now() - this.#connectedAt >= reconnect.maxDelay) this.#attempt = 0
    const wanted = this.#state === 'connected' && reconnect !== undefined
    const willReconnect = wanted && this.#attempt < reconnect.maxAttempts
    const info: DisconnectInfo = { error, unsent, unconfirmed, pendingRequests, willReconnect }
    if (willReconnect) {
      this.#state = 'reconnecting'
      this.#emitSafely('disconnected', reason, info)
      // A listener may have closed the client.
      if (this.#state === 'reconnecting' && this.#retryTimer === undefined && this.#abort === undefined) {
        this.#scheduleAttempt(undefined)
      }
      return
    }
    if (wanted) {
      // maxAttempts connections in a row ended before they were established for good: give up.
      const failure = new ConnectError(
        `Gave up reconnecting to ${this.#options.target.host}:${this.#options.target.port}: ${this.#attempt} attempts in a row ended before the server answered`,
        { cause: error },
      )
      this.#finish(failure, failure)
      this.#emitSafely('disconnected', reason, info)
      this.#emitSafely('reconnectFailed', failure)
      return
    }
    const clean = reason === CloseReason.ClientClosing || reason === CloseReason.ServerClosing
    const failure = clean
      ? undefined
      : SocketError.isSocketError(error)
        ? error
        : new SessionClosedError(`The connection closed (${closeReasonName(reason)})`, { cause: error })
    this.#finish(
      failure,
      new SessionClosedError(`The connection closed (${closeReasonName(reason)})`, { cause: error }),
    )
    this.#emitSafely('disconnected', reason, info)
  }

  /**
   * The client is closed for good (until `connect()` again): loops end (with `iteratorError` if any), waiting sends
   * and `connect()` callers reject with `failure`, `close()` resolves.
   */
  #finish(iteratorError: unknown, failure: Error): void {
    this.#state = 'closed'
    this.#paused = false
    const connectWaiters = this.#connectWaiters
    this.#connectWaiters = []
    for (const waiter of connectWaiters) waiter.reject(failure)
    this.#rejectWaiters(failure)
    for (const iterator of this.#iterators) iterator.end(iteratorError)
    this.#iterators.clear()
    const resolveClosing = this.#resolveClosing
    this.#resolveClosing = undefined
    this.#closing = undefined
    resolveClosing?.()
  }

  // ---- receiving -------------------------------------------------------------------------------------------------

  #received(data: Buffer): void {
    // The server talks: this connection counts as made, for the back-off.
    this.#attempt = 0
    const pipeline = this.#pipeline as ReceivePipeline<TReply>
    pipeline.push(data)
    if (this.#connection?.maxDatagramSize === 0) {
      if (!this.#paused) this.#pump()
      return
    }
    // A datagram is parsed whole: all its replies, or a ProtocolError.
    let replies: TReply[]
    try {
      replies = pipeline.drainDatagram()
    } catch (error) {
      this.#closeConnection(CloseReason.ProtocolError, toError(error))
      return
    }
    const size = Math.max(1, Math.ceil(data.length / Math.max(1, replies.length)))
    for (const reply of replies) {
      if (this.#state !== 'connected') return
      this.#dispatch(reply, size)
    }
  }

  /** Parse and dispatch replies until more bytes are needed, a loop is full, or the connection closes. */
  #pump(): void {
    const pipeline = this.#pipeline
    if (pipeline === undefined) return
    while (!this.#paused && this.#state === 'connected' && this.#pipeline === pipeline) {
      let reply: TReply | undefined
      let size = 1
      try {
        if (this.#iterators.size === 0) reply = pipeline.next()
        else {
          const before = pipeline.bufferedBytes
          reply = pipeline.next()
          size = Math.max(1, before - pipeline.bufferedBytes)
        }
      } catch (error) {
        this.#closeConnection(CloseReason.ProtocolError, toError(error))
        return
      }
      if (reply === undefined) return
      this.#dispatch(reply, size)
    }
  }

  #dispatch(reply: TReply, size: number): void {
    const slots = this.#slots
    if (this.#slotHead < slots.length) {
      const slot = slots[this.#slotHead] as RequestSlot
      slots[this.#slotHead] = undefined as unknown as RequestSlot
      this.#slotHead += 1
      if (this.#slotHead === slots.length) {
        slots.length = 0
        this.#slotHead = 0
      } else if (this.#slotHead > 1_024 && this.#slotHead * 2 > slots.length) {
        this.#slots = slots.slice(this.#slotHead)
        this.#slotHead = 0
      }
      slot.resolve(reply)
    }
    try {
      this.emit('message', reply)
    } catch (error) {
      // A listener threw: the application failed on this reply (as a server handler's exception closes its session).
      this.#closeConnection(CloseReason.ApplicationError, toError(error))
      return
    }
    if (this.#iterators.size === 0) return
    let full = false
    for (const iterator of this.#iterators) {
      iterator.push(reply, size)
      if (iterator.full) full = true
    }
    if (full && !this.#paused) {
      this.#paused = true
      this.#connection?.session.pauseReceive()
    }
  }

  #anyIteratorFull(): boolean {
    for (const iterator of this.#iterators) if (iterator.full) return true
    return false
  }

  /** A loop was drained to half, or left: read again unless another loop is still full. */
  #iteratorDrained(): void {
    if (!this.#paused || this.#resumeScheduled || this.#anyIteratorFull()) return
    this.#resumeScheduled = true
    // Not from inside the consumer's next(): replies parsed now go to listeners in a tick of their own.
    process.nextTick(() => {
      this.#resumeScheduled = false
      if (!this.#paused || this.#anyIteratorFull()) return
      this.#paused = false
      this.#pump()
      if (!this.#paused) this.#connection?.session.resumeReceive()
    })
  }

  // ---- sending ---------------------------------------------------------------------------------------------------

  #send(data: Uint8Array | string, slot: RequestSlot | undefined): Promise<void> {
    const state = this.#state
    if (state === 'idle' || state === 'closing' || state === 'closed') {
      return Promise.reject(new SessionClosedError(`The client is ${state === 'idle' ? 'not connected' : state}`))
    }
    const encoding = this.#options.textEncoding
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('data must be a string or a Uint8Array'))
    }
    const connection = this.#connection
    if (this.#options.target.mode === 'udp') {
      const size = typeof data === 'string' ? Buffer.byteLength(data, encoding) : data.byteLength
      const limit = connection?.maxDatagramSize ?? 65_507
      if (size > limit) {
        return Promise.reject(
          new DatagramTooLargeError(`A datagram of ${size} bytes is larger than the ${limit} bytes allowed`),
        )
      }
    }
    if (state === 'connected' && connection !== undefined && this.#waiters.length === 0) {
      if (this.#offer(connection, data)) {
        if (slot !== undefined) this.#slots.push(slot)
        return resolved
      }
    }
    const timeout = this.#options.sendTimeOut
    if (timeout < 0) return Promise.reject(new SendTimeoutError())
    const payload = typeof data === 'string' ? Buffer.from(data, encoding) : Buffer.from(data)
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter = { payload, resolve, reject, timer: undefined, slot }
      if (slot !== undefined) slot.waiter = waiter
      if (timeout > 0) waiter.timer = setTimeout(() => this.#dropWaiter(waiter, new SendTimeoutError()), timeout)
      this.#waiters.push(waiter)
    })
  }

  /** Queue a copy of `data` on `connection`, recording it in the ledger. */
  #offer(connection: Connection, data: Uint8Array | string): boolean {
    const session = connection.session
    if (typeof data === 'string') {
      const before = session.pendingBytes
      if (!session.trySendCopy(data, this.#options.textEncoding)) return false
      this.#ledger.record(session.pendingBytes - before, session.bytesSent)
      return true
    }
    if (!(data instanceof Uint8Array) || !session.trySendCopy(data)) return false
    this.#ledger.record(data.byteLength, session.bytesSent)
    return true
  }

  /** Queue the waiting sends, in order, while there is room. */
  #flushWaiters(): void {
    const connection = this.#connection
    const waiters = this.#waiters
    if (connection === undefined || this.#state !== 'connected' || waiters.length === 0) return
    const session = connection.session
    let sent = 0
    while (sent < waiters.length) {
      const waiter = waiters[sent] as SendWaiter
      if (!session.trySend(waiter.payload)) break
      this.#ledger.record(waiter.payload.length, session.bytesSent)
      sent += 1
      clearTimeout(waiter.timer)
      const slot = waiter.slot
      if (slot !== undefined) {
        slot.waiter = undefined
        this.#slots.push(slot)
      }
      waiter.resolve()
    }
    if (sent > 0) waiters.splice(0, sent)
  }

  /** Take a waiting send out of the queue (never sent) and reject it. */
  #dropWaiter(waiter: SendWaiter, error: unknown): void {
    const index = this.#waiters.indexOf(waiter)
    if (index < 0) return
    this.#waiters.splice(index, 1)
    clearTimeout(waiter.timer)
    if (waiter.slot !== undefined) waiter.slot.waiter = undefined
    waiter.reject(toError(error))
    // The sends behind it may fit now.
    if (index === 0) this.#flushWaiters()
  }

  #rejectWaiters(error: Error): void {
    const waiters = this.#waiters
    if (waiters.length === 0) return
    this.#waiters = []
    for (const waiter of waiters) {
      clearTimeout(waiter.timer)
      if (waiter.slot !== undefined) waiter.slot.waiter = undefined
      waiter.reject(error)
    }
  }

  /** Reject every request waiting for a reply on the connection that ended; returns how many there were. */
  #failSlots(error: Error): number {
    const slots = this.#slots
    const head = this.#slotHead
    this.#slots = []
    this.#slotHead = 0
    let pending = 0
    for (let index = head; index < slots.length; index += 1) {
      const slot = slots[index] as RequestSlot
      if (!slot.settled) pending += 1
      slot.fail(error)
    }
    return pending
  }

  /**
   * Emit a lifecycle event so that a listener's exception cannot leave the client half-way through a state change:
   * it is thrown again from a tick of its own (an uncaught exception, as from any event listener).
   */
  #emitSafely<K extends 'connected' | 'disconnected' | 'reconnecting' | 'reconnectFailed'>(
    event: K,
    ...args: SocketClientEvents<TReply>[K]
  ): void {
    try {
      ;(this.emit as (event: K, ...args: SocketClientEvents<TReply>[K]) => boolean)(event, ...args)
    } catch (error) {
      process.nextTick(() => {
        throw error
      })
    }
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
