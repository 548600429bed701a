import type { StringRequestInfo } from '@socketlite/protocol'
import {
  type AppSession as AppSessionContract,
  CloseReason,
  DatagramTooLargeError,
  type EndPoint,
  type ListenerInfo,
  type Logger,
  type ReceiveFilter,
  type ResolvedServerConfig,
  SendTimeoutError,
  ServerStateError,
  SessionClosedError,
  type SocketSession,
  type TlsSessionInfo,
} from '@socketlite/socket-base'
import type { AppServer } from './app-server.js'
import { DatagramDispatcher } from './datagram-dispatcher.js'
import { type Dispatcher, Phase } from './dispatcher.js'
import {
  type Admitted,
  clockToDate,
  kAbandon,
  kAdmission,
  kAttach,
  kDeadlines,
  kLastActive,
  kSendingEnded,
  kServerContext,
  kShutdown,
  kStart,
  kTrySendShared,
  kWritable,
} from './internal.js'
import { newSessionId } from './session-id.js'
import { StreamDispatcher } from './stream-dispatcher.js'

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
  readonly sessionId?: string | undefined
  /** The listener that accepted the connection; `undefined` for an outbound session. */
  readonly listener?: ListenerInfo | undefined
  /** True for a session made by `activeConnect`. */
  readonly outbound?: boolean | undefined
}

/** Options of {@link AppSession.trySend} and {@link AppSession.send}. */
export interface SendOptions {
  /**
   * `false` hands a `Uint8Array` over instead of copying it: the session queues the buffer itself, and you must not
   * change it afterwards. For replies that are views of a received request (an echo): consecutive views of one
   * received chunk then leave as one buffer, without a copy. Strings are always encoded.
   * @default true
   */
  readonly copy?: boolean | undefined
}

interface SendWaiter {
  readonly data: Uint8Array
  readonly resolve: () => void
  readonly reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
}

/** The size of `data` when it is larger than `limit` (strings measured only when they may be), else -1. */
function sizeOver(data: Uint8Array | string, limit: number, encoding: BufferEncoding): number {
  if (typeof data !== 'string') return data.length > limit ? data.length : -1
  // No encoding takes more than 3 bytes per UTF-16 code unit: a short string fits without measuring.
  if (data.length * 3 <= limit) return -1
  const size = Buffer.byteLength(data, encoding)
  return size > limit ? size : -1
}

/**
 * One client connection as the application sees it (SuperSocket's `AppSession`): its id and endpoints, where it
 * came from (`listener`, `outbound`), a send path with backpressure, close with a reason, and hooks for subclasses.
 * The server makes one per connection (`sessionClass` selects a subclass) and emits its events in strict order: one
 * `newSessionConnected`, the requests in arrival order, one `sessionClosed`.
 *
 * Buffers: `trySend` and `send` copy a `Uint8Array` (or encode a string) straight into the sending queue before they
 * return, so the caller may reuse its buffer at once (unless it hands it over with `{ copy: false }`).
 *
 * The peer's end (TCP FIN): the requests that arrived before it are still dispatched, and `trySend` / `send` keep
 * working until the last of their handlers has settled; then the replies drain (at most `closeTimeOut`) and the
 * connection closes with `ClientClosing`.
 *
 * Datagram sessions (`mode: 'udp'`): each datagram is parsed whole (a request never spans datagrams; one that ends
 * inside a request is dropped whole and counted in `getStats().datagramErrors`, and the session lives on), datagrams
 * are handled strictly in order, one at a time, and each `trySend`/`send` call leaves as one datagram (a payload
 * larger than one datagram is refused: `DatagramTooLargeError`).
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
  /** The listener that accepted the connection; `undefined` for an outbound session (`activeConnect`). */
  readonly listener: ListenerInfo | undefined
  /** True for a session the server connected out (`activeConnect`); false for every accepted one. */
  readonly outbound: boolean
  /** The receiving half; it also holds the socket session and the server context (one place for both). */
  readonly #dispatcher: Dispatcher<TRequest>
  readonly #startTime: number
  #items: Map<unknown, unknown> | undefined
  #waiters: SendWaiter[] | undefined;
  /** Set by admission: what it gives back when the session closes. */
  [kAdmission]: Admitted | undefined = undefined

  constructor(init: AppSessionInit<TRequest>) {
    const context = init.server[kServerContext]
    const socket = init.socketSession
    this.server = init.server
    this.sessionId = init.sessionId ?? newSessionId()
    this.listener = init.listener
    this.outbound = init.outbound === true
    this.#dispatcher =
      socket.kind === 'datagram'
        ? new DatagramDispatcher(this, socket, context)
        : new StreamDispatcher(this, socket, context)
    // one clock reading: a new session was last active when it started (two could fall on either side of a ms)
    this.#startTime = this.#dispatcher.lastActive
  }

  /** The server's resolved, frozen configuration. */
  get config(): ResolvedServerConfig {
    return this.#dispatcher.context.config
  }

  /** The server's logger; session log lines carry `sessionId`. */
  get logger(): Logger {
    return this.#dispatcher.context.logger
  }

  /** The peer's endpoint. */
  get remoteEndPoint(): EndPoint {
    return this.#dispatcher.socket.remoteEndPoint
  }

  /** This side's endpoint. */
  get localEndPoint(): EndPoint {
    return this.#dispatcher.socket.localEndPoint
  }

  /** When the session was made. */
  get startTime(): Date {
    return clockToDate(this.#startTime)
  }

  /** When bytes were last received (sends do not count); idle clearing compares against it. */
  get lastActiveTime(): Date {
    return clockToDate(this.#dispatcher.lastActive)
  }

  /** True from `newSessionConnected` until closing starts (the peer's end, `close()`, an error, ...). */
  get connected(): boolean {
    return this.#dispatcher.phase === Phase.Open
  }

  /** Free per-session storage. */
  get items(): Map<unknown, unknown> {
    if (this.#items === undefined) this.#items = new Map()
    return this.#items
  }

  /** The first close reason, once closing (`ClientClosing` from the peer's end on). */
  get closeReason(): CloseReason | undefined {
    return this.#dispatcher.socket.closeReason
  }

  /** True for TLS sessions. */
  get secure(): boolean {
    return this.#dispatcher.socket.secure
  }

  /** TLS details (protocol, cipher, peer certificate); `undefined` on plain sessions. */
  get tls(): TlsSessionInfo | undefined {
    return (this.#dispatcher.socket as { readonly tls?: TlsSessionInfo }).tls
  }

  /** Bytes queued for sending and not yet handed to the kernel (the sending queue's size). */
  get pendingSendBytes(): number {
    return this.#dispatcher.socket.pendingBytes
  }

  /** Received bytes not yet turned into dispatched requests (unparsed, or a partial frame). */
  get bufferedReceiveBytes(): number {
    return this.#dispatcher.bufferedBytes
  }

  /**
   * True while reading from the peer is paused for backpressure: the sending queue is full, or unparsed bytes pile
   * up behind a slow asynchronous handler. Reading resumes below the low water mark.
   */
  get receivePaused(): boolean {
    return this.#dispatcher.receivePaused
  }

  /**
   * Queue `data` for sending: a string is encoded with `textEncoding` (nothing is appended), a `Uint8Array` is
   * copied (or, with `{ copy: false }`, handed over). Returns false, queuing nothing, when the session is closing or
   * closed, when `send()` calls are waiting, or when there is no room (the payload must fit under
   * `sendHighWaterMark`, unless the queue is empty). UDP: one datagram per call; false for a payload larger than one
   * datagram (logged at debug level). Never throws, never blocks.
   */
  trySend(data: Uint8Array | string, options?: SendOptions): boolean {
    const phase = this.#dispatcher.phase
    if (
      (phase === Phase.Open || phase === Phase.Ending) &&
      this.#waiters === undefined &&
      AppSession.#offer(this, data, options === undefined || options.copy !== false)
    ) {
      return true
    }
    this.#dispatcher.context.counters.trySendRefused++
    return false
  }

  /**
   * Queue `data` (encoded, copied or handed over as by {@link AppSession.trySend}), waiting for room up to
   * `sendTimeOut` (`0` = forever, `< 0` = not at all). Sends that wait are queued in call order. UDP: one datagram
   * per call.
   * @throws {SendTimeoutError} no room within `sendTimeOut`; the session stays open.
   * @throws {SessionClosedError} the session is closing or closed (also when it closes while waiting).
   * @throws {DatagramTooLargeError} UDP: the payload is larger than one datagram can carry (nothing is sent).
   */
  send(data: Uint8Array | string, options?: SendOptions): Promise<void> {
    if (!this.#dispatcher.sending) return Promise.reject(new SessionClosedError())
    const context = this.#dispatcher.context
    const limit = this.#dispatcher.socket.maxMessageSize
    const size = sizeOver(data, limit, context.encoding)
    if (size >= 0) {
      return Promise.reject(
        new DatagramTooLargeError(`A datagram of ${size} bytes is larger than the ${limit} bytes allowed`),
      )
    }
    const copy = options?.copy !== false
    if (this.#waiters === undefined && AppSession.#offer(this, data, copy)) return Promise.resolve()
    const timeout = context.config.sendTimeOut
    if (timeout < 0) {
      context.counters.sendTimeouts++
      return Promise.reject(new SendTimeoutError())
    }
    const payload =
      typeof data === 'string' ? Buffer.from(data, context.encoding) : copy ? Buffer.from(data) : (data as Uint8Array)
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter = { data: payload, resolve, reject, timer: undefined }
      if (timeout > 0) waiter.timer = setTimeout(() => AppSession.#sendTimedOut(this, waiter), timeout)
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
    if (this.#dispatcher.stop()) AppSession.#rejectWaiters(this)
    return this.#dispatcher.socket.close(reason)
  }

  /**
   * Join `group` (socket.io calls groups rooms): from now on `server.publish(data, { group })` on any node of the
   * service reaches this session. The membership changes here at once (a local publish sees it before the promise
   * settles); the promise resolves once it is in force service-wide (with a cluster adapter: once this node
   * receives the group's messages from every node). Joining a group twice is one membership. The session leaves
   * every group when it closes.
   * @throws {InvalidArgumentError} `group` is not a non-empty string.
   * @throws {SessionClosedError} the session is closed.
   * @throws {ServerStateError} the session has not started yet (`onInit`).
   * @throws {ClusterUnavailableError} the adapter's backend is unreachable now; the membership stays and is put in
   *   force by the adapter on reconnect.
   */
  join(group: string): Promise<void> {
    const refused = AppSession.#membershipRefused(this)
    if (refused !== undefined) return Promise.reject(refused)
    return this.#dispatcher.context.cluster.join(this, group)
  }

  /**
   * Leave `group`: at once here, and service-wide when the promise resolves. A no-op for a group it is not in.
   * @throws {InvalidArgumentError} `group` is not a non-empty string.
   * @throws {ClusterUnavailableError} the adapter's backend is unreachable now; the change is applied on reconnect.
   */
  leave(group: string): Promise<void> {
    return this.#dispatcher.context.cluster.leave(this, group)
  }

  /** The groups this session is a member of now (a read-only snapshot; empty once it closed). */
  get groups(): ReadonlySet<string> {
    return this.#dispatcher.context.cluster.groupsOf(this)
  }

  /**
   * Parse the stream with `filter` from the next unread byte on; no byte is lost. Usually called from a request
   * handler to switch protocols. UDP: from the next datagram on.
   * @throws {InvalidArgumentError} `filter` is not a receive filter.
   */
  setNextReceiveFilter(filter: ReceiveFilter<TRequest>): void {
    this.#dispatcher.setNextFilter(filter)
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
   * Hook: a `newSessionConnected` or `newRequestReceived` handler, a command (or {@link AppSession.onSessionStarted})
   * threw or rejected. The default logs the error and closes the session with `ApplicationError`.
   */
  handleException(error: unknown): void {
    this.logger.error('Session handler failed; closing the session', { sessionId: this.sessionId, err: error })
    void this.close(CloseReason.ApplicationError)
  }

  // ---- the server's and the dispatcher's side (see internal.ts) ---------------------------------------------------

  /** The server gives the session its receive filter (then calls `onInit`). */
  [kAttach](filter: ReceiveFilter<TRequest>): void {
    this.#dispatcher.attach(filter)
  }

  /** The server starts the registered session: reading, the connect handlers, then the requests. */
  [kStart](): void {
    this.#dispatcher.start()
  }

  /** When bytes last arrived (a `clock()` reading). */
  get [kLastActive](): number {
    return this.#dispatcher.lastActive
  }

  /** The deadline sweep, `now` a `clock()` reading: `handlerTimeOut`, `frameTimeOut`. */
  [kDeadlines](now: number): void {
    this.#dispatcher.checkDeadlines(now)
  }

  /** `stop()`: dispatch nothing more; close now, or once the running handler settled (its replies go out). */
  [kShutdown](): void {
    this.#dispatcher.shutdown()
  }

  /** `stop()`'s deadline: abandon a handler still running and close now. */
  [kAbandon](): void {
    this.#dispatcher.abandon()
  }

  /** Queue `payload`, a buffer shared by many sessions and changed by none (a broadcast's). */
  [kTrySendShared](payload: Buffer): boolean {
    if (this.#dispatcher.sending && this.#waiters === undefined && AppSession.#offer(this, payload, false)) return true
    this.#dispatcher.context.counters.trySendRefused++
    return false
  }

  /** The socket session is writable again: the sends that wait for room go on, in order. */
  [kWritable](): void {
    const waiters = this.#waiters
    if (waiters === undefined) return
    let sent = 0
    while (sent < waiters.length && this.#dispatcher.sending) {
      const waiter = waiters[sent] as SendWaiter
      if (!AppSession.#offer(this, waiter.data, false)) break
      sent++
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.resolve()
    }
    if (sent === waiters.length) this.#waiters = undefined
    else if (sent > 0) waiters.splice(0, sent)
  }

  /** Nothing more will be sent: the sends still waiting fail with `SessionClosedError`. */
  [kSendingEnded](): void {
    AppSession.#rejectWaiters(this)
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  /** Why this session cannot join a group now (it is not registered with its server yet, or no more). */
  static #membershipRefused<TRequest>(session: AppSession<TRequest>): Error | undefined {
    const phase = session.#dispatcher.phase
    if (phase === Phase.Closed) return new SessionClosedError()
    if (phase === Phase.Created) return new ServerStateError('A session joins groups once it has started')
    return undefined
  }

  /**
   * Queue `data` straight into the socket session's coalescing queue: a string encoded with `textEncoding`, bytes
   * copied (`copy`) or handed over. False when there is no room (the socket session then reports itself unwritable,
   * which pauses reading) or when it is larger than one message of a datagram session (logged at debug level).
   */
  static #offer<TRequest>(session: AppSession<TRequest>, data: Uint8Array | string, copy: boolean): boolean {
    const dispatcher = session.#dispatcher
    const socket = dispatcher.socket
    const context = dispatcher.context
    if (typeof data === 'string') {
      const before = socket.pendingBytes
      if (!socket.trySendCopy(data, context.encoding)) return AppSession.#refused(session, data)
      context.counters.bytesOut += socket.pendingBytes - before
      return true
    }
    if (!(copy ? socket.trySendCopy(data) : socket.trySend(data))) return AppSession.#refused(session, data)
    context.counters.bytesOut += data.length
    return true
  }

  /** A refused payload: logged when it is larger than one message (it never fits), else just no room. */
  static #refused<TRequest>(session: AppSession<TRequest>, data: Uint8Array | string): false {
    const limit = session.#dispatcher.socket.maxMessageSize
    if (limit !== Number.POSITIVE_INFINITY) {
      const size = sizeOver(data, limit, session.#dispatcher.context.encoding)
      if (size >= 0) {
        session.logger.debug('A payload larger than one datagram was refused', {
          sessionId: session.sessionId,
          bytes: size,
          limit,
        })
      }
    }
    return false
  }

  static #sendTimedOut<TRequest>(session: AppSession<TRequest>, waiter: SendWaiter): void {
    const waiters = session.#waiters
    if (waiters === undefined) return
    const index = waiters.indexOf(waiter)
    if (index < 0) return
    waiters.splice(index, 1)
    if (waiters.length === 0) session.#waiters = undefined
    session.#dispatcher.context.counters.sendTimeouts++
    waiter.reject(new SendTimeoutError())
  }

  static #rejectWaiters<TRequest>(session: AppSession<TRequest>): void {
    const waiters = session.#waiters
    if (waiters === undefined) return
    session.#waiters = undefined
    for (const waiter of waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.reject(new SessionClosedError())
    }
  }
}
