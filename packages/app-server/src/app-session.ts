import { randomUUID } from 'node:crypto'
import { ReceivePipeline, type StringRequestInfo } from '@socketlite/protocol'
import { UdpSocketSession } from '@socketlite/session-udp'
import {
  type AppSession as AppSessionContract,
  CloseReason,
  DatagramTooLargeError,
  type EndPoint,
  type Logger,
  type ReceiveFilter,
  type ResolvedServerConfig,
  SendTimeoutError,
  SessionClosedError,
  SocketError,
  type SocketSession,
  type SocketSessionHandler,
  type TlsSessionInfo,
} from '@socketlite/socket-base'
import type { AppServer } from './app-server.js'
import type { SessionHost } from './session-host.js'

/**
 * What the server passes to a session's constructor. Subclasses that declare a constructor pass it on to `super`
 * unchanged.
 */
export interface AppSessionInit<TRequest> {
  /** The server the session belongs to. */
  readonly server: AppServer<TRequest, AppSession<TRequest>>
  /** The transport half of the session. */
  readonly socketSession: SocketSession
  /** The session id; a random UUID when omitted. */
  readonly sessionId?: string
  /** @internal The server's side of the session. */
  readonly host: SessionHost<TRequest>
}

/**
 * A random lower-case UUID as a flat string. `randomUUID()` returns a string concatenated from many pieces (about
 * 470 bytes of heap while it lives); a session keeps its id for its whole life, so it keeps a flat copy (about 60).
 */
function newSessionId(): string {
  return JSON.parse(JSON.stringify(randomUUID())) as string
}

/** Lifecycle of an app session, in order. */
const created = 0
/** Started: requests are dispatched. */
const open = 1
/** The peer ended its side: requests already received are still dispatched, then the session closes. */
const ending = 2
/** Closing for any other reason: nothing more is dispatched. */
const closing = 3
/** `sessionClosed` was emitted. */
const closed = 4

/** Reading is paused because the socket session is not writable (its sending queue is full). */
const pausedForSend = 1
/**
 * Reading is paused because unparsed bytes pile up behind a slow handler (streams), or because a handler is running
 * asynchronously (datagrams: the next datagram waits in the UDP session's bounded queue).
 */
const pausedForHandler = 2

interface SendWaiter {
  readonly data: Buffer
  readonly resolve: () => void
  readonly reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== undefined &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function' &&
    (typeof value === 'object' || typeof value === 'function')
  )
}

/** The server's private access to a session (defined in the class's static block, so it can reach `#` members). */
export interface SessionInternals<TRequest> {
  initialize(session: AppSession<TRequest>, filter: ReceiveFilter<TRequest>): void
  /** Record (set) or give back (take) the connection slot the session holds. */
  slotAddress(session: AppSession<TRequest>, address?: string): string | undefined
  start(session: AppSession<TRequest>): void
  lastActive(session: AppSession<TRequest>): number
  trySendShared(session: AppSession<TRequest>, data: Buffer): boolean
}

// biome-ignore lint/suspicious/noExplicitAny: assigned once in AppSession's static block, typed per use by the server
export let sessionInternals: SessionInternals<any>

/** Assigned once in AppSession's static block. */
let socketEvents: {
  data<TRequest>(session: AppSession<TRequest>, data: Buffer): void
  writability<TRequest>(session: AppSession<TRequest>, writable: boolean): void
  end<TRequest>(session: AppSession<TRequest>): void
  closed<TRequest>(session: AppSession<TRequest>, reason: CloseReason): void
}

/**
 * One client connection as the application sees it (SuperSocket's `AppSession`): its id and endpoints, a send
 * path with backpressure, close with a reason, and hooks for subclasses. The server makes one per connection
 * (`sessionClass` selects a subclass) and emits its events in strict order: one `newSessionConnected`, the
 * requests in arrival order, one `sessionClosed`.
 *
 * Buffers: `trySend` and `send` copy a `Uint8Array` (or encode a string) straight into the sending queue before
 * they return, so the caller may reuse its buffer at once.
 *
 * UDP sessions (`mode: 'udp'`) work on datagrams: each datagram is parsed whole (a request never spans datagrams;
 * one that ends inside a request is dropped whole and counted in `getStats().datagramErrors`, and the session lives
 * on), datagrams are handled strictly in order, one at a time (the next waits while an asynchronous handler runs),
 * and each `trySend`/`send` call leaves as one datagram (a payload larger than one datagram is refused:
 * `DatagramTooLargeError`).
 *
 * @example
 * ```ts
 * class ChatSession extends AppSession {
 *   nick = 'anonymous'
 *   override onSessionStarted() { this.trySend(`HELLO ${this.sessionId}\r\n`) }
 *   override onSessionClosed(reason: CloseReason) { console.log(this.nick, closeReasonName(reason)) }
 * }
 * const server = new AppServer({ config: { port: 0 }, sessionClass: ChatSession })
 * ```
 */
export class AppSession<TRequest = StringRequestInfo> implements AppSessionContract<TRequest> {
  /** TCP/TLS: a random lower-case UUID. UDP: `ip:port` / `[ip]:port`, or the id carried in the datagram. */
  readonly sessionId: string
  /** The server this session belongs to. */
  readonly server: AppServer<TRequest, AppSession<TRequest>>
  readonly #host: SessionHost<TRequest>
  readonly #socket: SocketSession
  readonly #startTime: number
  #pipeline: ReceivePipeline<TRequest> | undefined
  /** Largest payload of one datagram for UDP sessions; 0 for streams (TCP, TLS). */
  readonly #maxDatagram: number
  /** UDP: the requests of the datagram being dispatched, from `#readyIndex` on. */
  #ready: TRequest[] | undefined
  #readyIndex = 0
  /** UDP: a malformed datagram was logged at warn level already (later ones are logged at debug level). */
  #warnedDatagram = false
  #lastActive: number
  #items: Map<unknown, unknown> | undefined
  #phase = created
  #busy = false
  #paused = 0
  #closedReason: CloseReason | undefined
  #waiters: SendWaiter[] | undefined
  /** The remote address whose connection slot this session holds (see `ConnectionSlots`). */
  #slotAddress: string | undefined

  constructor(init: AppSessionInit<TRequest>) {
    this.server = init.server
    this.#host = init.host
    this.#socket = init.socketSession
    this.#maxDatagram = init.socketSession instanceof UdpSocketSession ? init.socketSession.maxDatagramSize : 0
    this.sessionId = init.sessionId ?? newSessionId()
    this.#startTime = Date.now()
    this.#lastActive = this.#startTime
  }

  /** The server's resolved, frozen configuration. */
  get config(): ResolvedServerConfig {
    return this.#host.config
  }

  /** The server's logger; session log lines carry `sessionId`. */
  get logger(): Logger {
    return this.#host.logger
  }

  /** The peer's endpoint. */
  get remoteEndPoint(): EndPoint {
    return this.#socket.remoteEndPoint
  }

  /** This side's endpoint. */
  get localEndPoint(): EndPoint {
    return this.#socket.localEndPoint
  }

  /** When the session was made. */
  get startTime(): Date {
    return new Date(this.#startTime)
  }

  /** When bytes were last received (sends do not count); idle clearing compares against it. */
  get lastActiveTime(): Date {
    return new Date(this.#lastActive)
  }

  /** True from `newSessionConnected` until closing starts (a peer FIN, `close()`, an error, ...). */
  get connected(): boolean {
    return this.#phase === open
  }

  /** Free per-session storage. */
  get items(): Map<unknown, unknown> {
    if (this.#items === undefined) this.#items = new Map()
    return this.#items
  }

  /** The first close reason, once closing. */
  get closeReason(): CloseReason | undefined {
    return this.#socket.closeReason ?? this.#closedReason
  }

  /** True for TLS sessions. */
  get secure(): boolean {
    return this.#socket.secure
  }

  /** TLS details (protocol, cipher, peer certificate); `undefined` on plain sessions. */
  get tls(): TlsSessionInfo | undefined {
    return (this.#socket as { readonly tls?: TlsSessionInfo }).tls
  }

  /** Bytes queued for sending and not yet handed to the kernel (the sending queue's size). */
  get pendingSendBytes(): number {
    return this.#socket.pendingBytes
  }

  /** Received bytes not yet turned into dispatched requests (unparsed, or a partial frame). */
  get bufferedReceiveBytes(): number {
    return this.#pipeline?.bufferedBytes ?? 0
  }

  /**
   * True while reading from the peer is paused for backpressure: the sending queue is full, or unparsed bytes pile
   * up behind a slow asynchronous handler. Reading resumes below the low water mark.
   */
  get receivePaused(): boolean {
    return this.#paused !== 0
  }

  /**
   * Queue `data` for sending: a string is encoded with `textEncoding` (nothing is appended), a `Uint8Array` is
   * copied. Returns false, queuing nothing, when the session is closing or closed, when `send()` calls are waiting,
   * or when there is no room (the payload must fit under `sendHighWaterMark`, unless the queue is empty). UDP: one
   * datagram per call; false for a payload larger than one datagram (logged at debug level). Never throws, never
   * blocks.
   */
  trySend(data: Uint8Array | string): boolean {
    if (this.#phase !== open || this.#waiters !== undefined || !this.#offer(data)) {
      this.#host.counters.trySendRefused++
      return false
    }
    return true
  }

  /**
   * Queue `data` (encoded or copied as by {@link AppSession.trySend}), waiting for room up to `sendTimeOut`
   * (`0` = forever, `< 0` = not at all). Sends that wait are queued in call order. UDP: one datagram per call.
   * @throws {SendTimeoutError} no room within `sendTimeOut`; the session stays open.
   * @throws {SessionClosedError} the session is closing or closed (also when it closes while waiting).
   * @throws {DatagramTooLargeError} UDP: the payload is larger than one datagram can carry (nothing is sent).
   */
  send(data: Uint8Array | string): Promise<void> {
    if (this.#phase !== open) return Promise.reject(new SessionClosedError())
    if (this.#maxDatagram > 0) {
      const size = typeof data === 'string' ? Buffer.byteLength(data, this.#host.encoding) : data.byteLength
      if (size > this.#maxDatagram) {
        return Promise.reject(
          new DatagramTooLargeError(
            `A datagram of ${size} bytes is larger than the ${this.#maxDatagram} bytes allowed`,
          ),
        )
      }
    }
    if (this.#waiters === undefined && this.#offer(data)) return Promise.resolve()
    const payload = typeof data === 'string' ? Buffer.from(data, this.#host.encoding) : Buffer.from(data)
    const timeout = this.#host.config.sendTimeOut
    if (timeout < 0) {
      this.#host.counters.sendTimeouts++
      return Promise.reject(new SendTimeoutError())
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter = { data: payload, resolve, reject, timer: undefined }
      if (timeout > 0) waiter.timer = setTimeout(() => this.#sendTimedOut(waiter), timeout)
      if (this.#waiters === undefined) this.#waiters = [waiter]
      else this.#waiters.push(waiter)
    })
  }

  /**
   * Close the session with `reason` (the first reason wins). Nothing more is dispatched; what was queued before the
   * call is sent (for at most `closeTimeOut`), then the connection ends. Resolves once the connection is closed;
   * `sessionClosed` follows as soon as no handler of this session is running, so awaiting this inside a handler is
   * safe. Calling it again resolves the same way and emits nothing twice.
   */
  close(reason: CloseReason = CloseReason.ServerClosing): Promise<void> {
    if (this.#phase < closing) {
      this.#phase = closing
      this.#rejectWaiters()
    }
    return this.#socket.close(reason)
  }

  /**
   * Parse the stream with `filter` from the next unread byte on; no byte is lost. Usually called from a request
   * handler to switch protocols. UDP: from the next datagram on.
   * @throws {InvalidArgumentError} `filter` is not a receive filter.
   */
  setNextReceiveFilter(filter: ReceiveFilter<TRequest>): void {
    this.#pipeline?.setNextFilter(filter)
  }

  /**
   * Hook: the session is made and its filter is ready, before it is registered or any event is emitted. Throwing
   * refuses the connection (logged, no session events).
   */
  onInit(): void {}

  /**
   * Hook: the session starts, just before `newSessionConnected`. May return a promise: requests wait for it. A throw
   * or rejection goes to {@link AppSession.handleException}.
   */
  onSessionStarted(): void | Promise<void> {}

  /** Hook: the session closed, just before `sessionClosed`. A throw is logged. */
  onSessionClosed(_reason: CloseReason): void {}

  /**
   * Hook: a `newSessionConnected` or `newRequestReceived` handler (or {@link AppSession.onSessionStarted}) threw or
   * rejected. The default logs the error and closes the session with `ApplicationError`.
   */
  handleException(error: unknown): void {
    this.logger.error('Session handler failed; closing the session', { sessionId: this.sessionId, err: error })
    void this.close(CloseReason.ApplicationError)
  }

  /**
   * Queue a copy of `data` (a string encoded with `textEncoding`), straight into the socket session's coalescing
   * queue. False when there is no room (the socket session then reports itself unwritable, which pauses reading) or,
   * for UDP, when it is larger than one datagram.
   */
  #offer(data: Uint8Array | string): boolean {
    const socket = this.#socket
    if (typeof data !== 'string') {
      if (this.#maxDatagram > 0 && !this.#fitsDatagram(data.byteLength)) return false
      if (!socket.trySendCopy(data)) return false
      this.#host.counters.bytesOut += data.byteLength
      return true
    }
    if (this.#maxDatagram > 0 && !this.#fitsDatagram(Buffer.byteLength(data, this.#host.encoding))) return false
    const before = socket.pendingBytes
    if (!socket.trySendCopy(data, this.#host.config.textEncoding)) return false
    this.#host.counters.bytesOut += socket.pendingBytes - before
    return true
  }

  /** Queue `payload`, a buffer nobody changes (a waiting `send`'s copy, a broadcast's shared payload). */
  #enqueue(payload: Buffer): boolean {
    if (this.#maxDatagram > 0 && !this.#fitsDatagram(payload.length)) return false
    if (!this.#socket.trySend(payload)) return false
    this.#host.counters.bytesOut += payload.length
    return true
  }

  /** UDP: whether a payload of `size` bytes fits one datagram (a refusal is logged at debug level). */
  #fitsDatagram(size: number): boolean {
    if (size <= this.#maxDatagram) return true
    this.logger.debug('A payload larger than one datagram was refused', {
      sessionId: this.sessionId,
      bytes: size,
      limit: this.#maxDatagram,
    })
    return false
  }

  #sendTimedOut(waiter: SendWaiter): void {
    const waiters = this.#waiters
    if (waiters === undefined) return
    const index = waiters.indexOf(waiter)
    if (index < 0) return
    waiters.splice(index, 1)
    if (waiters.length === 0) this.#waiters = undefined
    this.#host.counters.sendTimeouts++
    waiter.reject(new SendTimeoutError())
  }

  #flushWaiters(): void {
    const waiters = this.#waiters
    if (waiters === undefined) return
    let sent = 0
    while (sent < waiters.length && this.#phase === open) {
      const waiter = waiters[sent] as SendWaiter
      if (!this.#enqueue(waiter.data)) break
      sent++
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.resolve()
    }
    if (sent === waiters.length) this.#waiters = undefined
    else if (sent > 0) waiters.splice(0, sent)
  }

  #rejectWaiters(): void {
    const waiters = this.#waiters
    if (waiters === undefined) return
    this.#waiters = undefined
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.reject(new SessionClosedError())
    }
  }

  #pause(cause: number): void {
    if ((this.#paused & cause) !== 0) return
    if (this.#paused === 0) this.#socket.pauseReceive()
    this.#paused |= cause
  }

  #resume(cause: number): void {
    if ((this.#paused & cause) === 0) return
    this.#paused &= ~cause
    if (this.#paused === 0 && this.#phase < closing) this.#socket.resumeReceive()
  }

  #onData(data: Buffer): void {
    this.#lastActive = Date.now()
    this.#host.counters.bytesIn += data.length
    if (this.#phase >= closing) return
    const pipeline = this.#pipeline as ReceivePipeline<TRequest>
    pipeline.push(data)
    if (this.#maxDatagram > 0) this.#onDatagram(pipeline)
    else if (!this.#busy) this.#pump()
    else if (pipeline.pendingBytes >= this.#host.config.sendHighWaterMark) this.#pause(pausedForHandler)
  }

  /**
   * UDP: parse the datagram just pushed, whole, and dispatch its requests. A datagram that does not parse (or ends
   * inside a request) is dropped whole, counted and logged; the session goes on with the next one. Datagrams come
   * one at a time: receiving is paused while a handler runs asynchronously.
   */
  #onDatagram(pipeline: ReceivePipeline<TRequest>): void {
    let requests: TRequest[]
    try {
      requests = pipeline.drainDatagram()
    } catch (error) {
      this.#host.counters.datagramErrors++
      const code = SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
      const fields = { sessionId: this.sessionId, code, err: error }
      if (this.#warnedDatagram) this.logger.debug('Malformed datagram dropped', fields)
      else {
        this.#warnedDatagram = true
        this.logger.warn('Malformed datagram dropped (later ones of this session are logged at debug level)', fields)
      }
      return
    }
    if (requests.length === 0) return
    if (this.#ready === undefined) {
      this.#ready = requests
      this.#readyIndex = 0
    } else for (const request of requests) this.#ready.push(request)
    if (!this.#busy) this.#pump()
  }

  /** The next request to dispatch: from the stream (may throw `ProtocolError`), or from the current datagram. */
  #nextRequest(pipeline: ReceivePipeline<TRequest>): TRequest | undefined {
    if (this.#maxDatagram === 0) return pipeline.next()
    const ready = this.#ready
    if (ready === undefined) return undefined
    const request = ready[this.#readyIndex++]
    if (this.#readyIndex >= ready.length) {
      this.#ready = undefined
      this.#readyIndex = 0
    }
    return request
  }

  /** The socket session's writability changed: reading follows it (the one backpressure signal). */
  #onWritability(writable: boolean): void {
    if (!writable) {
      if (this.#phase === open) this.#pause(pausedForSend)
      return
    }
    this.#resume(pausedForSend)
    if (this.#waiters !== undefined) this.#flushWaiters()
  }

  #onEnd(): void {
    if (this.#phase === open) {
      this.#phase = ending
      this.#rejectWaiters()
    }
  }

  #onClosed(reason: CloseReason): void {
    if (this.#closedReason !== undefined) return
    this.#closedReason = reason
    if (this.#phase === open || this.#phase === ending) {
      // Requests that arrived before the peer's FIN are still dispatched; any other close stops dispatch.
      this.#phase = reason === CloseReason.ClientClosing ? ending : closing
    }
    this.#rejectWaiters()
    if (!this.#busy) this.#pump()
  }

  /** Dispatch parsed requests until one handler goes asynchronous, more bytes are needed, or dispatch stops. */
  #pump(): void {
    this.#dispatch()
    const pipeline = this.#pipeline as ReceivePipeline<TRequest>
    if (this.#busy) return
    if (
      this.#paused !== 0 &&
      (this.#maxDatagram > 0 ? this.#ready === undefined : pipeline.pendingBytes < this.#host.config.sendLowWaterMark)
    ) {
      // UDP: the datagrams that waited are delivered now, in order (a handler that goes asynchronous pauses again).
      this.#resume(pausedForHandler)
    }
    if (this.#closedReason !== undefined) this.#finish()
  }

  #dispatch(): void {
    const pipeline = this.#pipeline as ReceivePipeline<TRequest>
    const host = this.#host
    const stream = this.#maxDatagram === 0
    while (this.#phase === open || this.#phase === ending) {
      let request: TRequest | undefined
      try {
        request = stream ? pipeline.next() : this.#nextRequest(pipeline)
      } catch (error) {
        this.#protocolError(error)
        break
      }
      if (request === undefined) break
      host.counters.requests++
      let result: unknown
      try {
        result = host.emitRequest(this, request)
      } catch (error) {
        this.#handlerFailed(error)
        continue
      }
      if (isThenable(result)) {
        this.#await(result)
        return
      }
    }
  }

  #await(result: PromiseLike<unknown>): void {
    this.#busy = true
    // UDP: the next datagram waits (in the session's bounded queue) until this handler settles.
    if (this.#maxDatagram > 0) this.#pause(pausedForHandler)
    result.then(
      () => this.#settled(),
      (error: unknown) => {
        this.#handlerFailed(error)
        this.#settled()
      },
    )
  }

  #settled(): void {
    this.#busy = false
    this.#pump()
  }

  #handlerFailed(error: unknown): void {
    try {
      this.handleException(error)
    } catch (inner) {
      this.logger.error('handleException threw; closing the session', { sessionId: this.sessionId, err: inner })
      void this.close(CloseReason.ApplicationError)
    }
  }

  #protocolError(error: unknown): void {
    const code = SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
    this.logger.warn('Protocol error; closing the session', { sessionId: this.sessionId, code, err: error })
    void this.close(CloseReason.ProtocolError)
  }

  #finish(): void {
    if (this.#phase === closed) return
    this.#phase = closed
    this.#host.sessionClosed(this, this.#closedReason ?? CloseReason.Unknown)
  }

  #start(): void {
    // (A session closed already, e.g. from onInit, stays closing: its events still come, once each.)
    if (this.#phase === created) this.#phase = open
    // Busy until the connect handlers settle: no request is dispatched and sessionClosed is not emitted before.
    this.#busy = true
    // UDP: the datagrams that made the session wait in its queue until then.
    if (this.#maxDatagram > 0) this.#pause(pausedForHandler)
    this.#socket.start(new SocketEvents(this))
    let result: unknown
    try {
      const started = this.onSessionStarted()
      const connected = this.#host.emitConnected(this)
      result = isThenable(started) ? (isThenable(connected) ? Promise.all([started, connected]) : started) : connected
    } catch (error) {
      this.#handlerFailed(error)
    }
    if (isThenable(result)) this.#await(result)
    else this.#settled()
  }

  static {
    sessionInternals = {
      initialize(session, filter) {
        session.#pipeline = new ReceivePipeline(filter, { maxRequestLength: session.#host.config.maxRequestLength })
        session.onInit()
      },
      slotAddress(session, address) {
        const held = session.#slotAddress
        session.#slotAddress = address
        return held
      },
      start(session) {
        session.#start()
      },
      lastActive(session) {
        return session.#lastActive
      },
      trySendShared(session, data) {
        if (session.#phase !== open || session.#waiters !== undefined || !session.#enqueue(data)) {
          session.#host.counters.trySendRefused++
          return false
        }
        return true
      },
    }
    socketEvents = {
      data: (session, data) => session.#onData(data),
      writability: (session, writable) => session.#onWritability(writable),
      end: (session) => session.#onEnd(),
      closed: (session, reason) => session.#onClosed(reason),
    }
  }
}

/** Receives a socket session's callbacks for one app session. */
class SocketEvents<TRequest> implements SocketSessionHandler {
  readonly #session: AppSession<TRequest>

  constructor(session: AppSession<TRequest>) {
    this.#session = session
  }

  onData(data: Buffer): void {
    socketEvents.data(this.#session, data)
  }

  onWritabilityChanged(writable: boolean): void {
    socketEvents.writability(this.#session, writable)
  }

  onEnd(): void {
    socketEvents.end(this.#session)
  }

  onClosed(reason: CloseReason): void {
    socketEvents.closed(this.#session, reason)
  }
}
