import { ReceivePipeline } from '@socketlite/protocol'
import {
  CloseReason,
  HandlerTimeoutError,
  InvalidArgumentError,
  type ReceiveFilter,
  SocketError,
  type SocketSession,
  type SocketSessionHandler,
} from '@socketlite/socket-base'
import type { AppSession } from './app-session.js'
import { publishRequestHandled, requestHandledChannel } from './diagnostics.js'
import { clock, isThenable, kSendingEnded, kWritable, type ServerContext } from './internal.js'

/** Where a session is in its life, in order. */
export const Phase = {
  /** Made, not started: nothing is dispatched or sent. */
  Created: 0,
  /** Started: requests are dispatched, replies sent. */
  Open: 1,
  /**
   * The peer ended its side: the requests that arrived before its end are still dispatched and their replies sent;
   * once the last handler settled, the session closes (`ClientClosing`).
   */
  Ending: 2,
  /** Closing for any reason: nothing more is dispatched or sent. */
  Closing: 3,
  /** `sessionClosed` was emitted. */
  Closed: 4,
} as const
export type Phase = (typeof Phase)[keyof typeof Phase]

/** Reading is paused because the socket session is not writable (its sending queue is full). */
export const pausedForSend = 1
/**
 * Reading is paused for the handler: unparsed bytes pile up behind a slow one (streams), or a handler is running
 * asynchronously (datagrams: the next datagram waits in the UDP session's bounded queue).
 */
export const pausedForHandler = 2
/** Reading is paused for good: the server stops (`stop()`). */
export const pausedForShutdown = 4

/**
 * The dispatch budget: a session dispatches at most this many requests synchronously in one run (one read, or one
 * handler settling); then it yields to the event loop (`setImmediate`) and lets other sessions go first, so that a
 * client pipelining thousands of tiny requests per read cannot starve the others. The rest follow in order in a
 * later turn. (Measured with the soak and tcpkali: 64 kept every attack's sessions moving but halved a pipelined
 * echo's throughput, one write every 64 replies; 1024 let 20 pipelining clients stall half-closed clients (425
 * request cycles in the soak instead of 23,785); 256 keeps both: 8,930 cycles, none missing, the good client's p99
 * 42 ms, and 1.5x the pipelined throughput of 64.)
 */
export const dispatchBudget = 256

/** `Dispatcher.#stop`: no `stop()` yet. */
const notStopping = 0
/**
 * `stop()` came while a run of dispatch had yielded for the budget: the rest of that run (bytes read before the stop)
 * is still dispatched, without a budget, then the session shuts down as below.
 */
const stopAfterRun = 1
/** `stop()` is under way: nothing more is dispatched; the session closes once its running handler settled. */
const shuttingDown = 2

/** The callbacks of one awaited handler; `abandoned` once a deadline gave up on it (its late result is ignored). */
interface HandlerCallbacks {
  abandoned: boolean
  /** When the asynchronous handler now running began (a `clock()` reading); -1 when none runs. */
  since: number
  /**
   * When the awaited request handler was called (a `performance.now()` reading), while the request-handled
   * diagnostics channel has subscribers; -1 otherwise (a connect handler, or nobody listens).
   */
  started: number
  readonly settled: () => void
  readonly failed: (error: unknown) => void
}

/**
 * The receiving half of an {@link AppSession}: the handler of its socket session (bytes, writability, the peer's
 * end, the close), its receive pipeline, and the order of its events — the connect handlers, then each request
 * after the previous handler settled, then `sessionClosed` once the transport is gone and no handler runs.
 *
 * One subclass per kind of transport, as Netty keeps `ByteToMessageDecoder` and `MessageToMessageDecoder` apart:
 * {@link StreamDispatcher} parses a byte stream lazily, one request at a time; `DatagramDispatcher` parses each
 * datagram whole. This base holds what both share: the phase, the handler calls and their errors, pausing, the end.
 */
export abstract class Dispatcher<TRequest> implements SocketSessionHandler {
  readonly session: AppSession<TRequest>
  readonly socket: SocketSession
  readonly context: ServerContext<TRequest>
  /** The receive filter until the first bytes arrive (then the pipeline's). */
  #filter: ReceiveFilter<TRequest> | undefined
  /** Made when the first bytes arrive: an idle session holds only its filter. */
  pipeline: ReceivePipeline<TRequest> | undefined
  phase: Phase = Phase.Created
  /** When bytes last arrived (a `clock()` reading); the idle sweep compares against it. */
  lastActive: number
  /** A connect or request handler runs asynchronously: nothing else of this session is dispatched meanwhile. */
  protected busy = false
  /** Why reading is paused: `pausedForSend` and `pausedForHandler` bits. */
  protected paused = 0
  /** The socket session's close reason, once it is closed. */
  protected closedReason: CloseReason | undefined
  /** The callbacks of an awaited handler, made once per session that ever awaits one (again after an abandon). */
  #callbacks: HandlerCallbacks | undefined
  /** Where `stop()` is for this session: `notStopping`, `stopAfterRun` or `shuttingDown` (one field for both flags). */
  #stop: number = notStopping
  /** Requests dispatched in the current run (see {@link Dispatcher.runSpent}). */
  #runCount = 0

  /** `stop()` is under way: nothing more is dispatched; the session closes once its running handler settled. */
  protected get shuttingDown(): boolean {
    return this.#stop === shuttingDown
  }
  /**
   * The frame clock (`frameTimeOut`): when it last started running (a `clock()` reading), -1 while stopped; and the
   * milliseconds it ran before it last stopped. It runs while a partial frame waits for more bytes from the peer, and
   * stops while the server is the one waiting (reading paused, a handler running).
   */
  protected frameSince = -1
  protected frameElapsed = 0

  constructor(session: AppSession<TRequest>, socket: SocketSession, context: ServerContext<TRequest>) {
    this.session = session
    this.socket = socket
    this.context = context
    this.lastActive = clock()
  }

  /** Parse with `filter` (the session's receive filter, made by the server's factory). */
  attach(filter: ReceiveFilter<TRequest>): void {
    this.#filter = filter
  }

  /**
   * Parse from the next unread byte on with `filter` (`setNextReceiveFilter`).
   * @throws {InvalidArgumentError} not a receive filter.
   */
  setNextFilter(filter: ReceiveFilter<TRequest>): void {
    if (this.pipeline !== undefined) this.pipeline.setNextFilter(filter)
    else if (typeof filter !== 'object' || filter === null || typeof filter.filter !== 'function') {
      throw new InvalidArgumentError('filter must be a ReceiveFilter')
    } else this.#filter = filter
  }

  /** Bytes received and not yet turned into dispatched requests. */
  get bufferedBytes(): number {
    return this.pipeline === undefined ? 0 : this.pipeline.bufferedBytes
  }

  /** The receive pipeline, made with the session's filter when the first bytes arrive. */
  protected receivePipeline(): ReceivePipeline<TRequest> {
    const pipeline = new ReceivePipeline(this.#filter as ReceiveFilter<TRequest>, {
      maxRequestLength: this.context.config.maxRequestLength,
    })
    this.#filter = undefined
    this.pipeline = pipeline
    return pipeline
  }

  /** Replies may be queued: open, or ending while the requests received before the peer's end are handled. */
  get sending(): boolean {
    const phase = this.phase
    return phase === Phase.Open || phase === Phase.Ending
  }

  /** Reading is paused for backpressure. */
  get receivePaused(): boolean {
    return this.paused !== 0
  }

  /**
   * Start: reading begins, then `onSessionStarted` and the `newSessionConnected` listeners run. The session is busy
   * until they settled: no request is dispatched and `sessionClosed` is not emitted before.
   */
  start(): void {
    // (A session closed already, e.g. from onInit, stays closing: its events still come, once each.)
    if (this.phase === Phase.Created) this.phase = Phase.Open
    this.busy = true
    this.beforeStart()
    this.socket.start(this)
    let result: unknown
    try {
      const started = this.session.onSessionStarted()
      const connected = this.context.router.connected(this.session)
      result = isThenable(started) ? (isThenable(connected) ? Promise.all([started, connected]) : started) : connected
    } catch (error) {
      this.handlerFailed(error)
    }
    if (isThenable(result)) this.await(result)
    else this.settled()
  }

  /** `session.close()` was called: nothing more is dispatched. Returns false when it was closing already. */
  stop(): boolean {
    if (this.phase >= Phase.Closing) return false
    this.phase = Phase.Closing
    return true
  }

  /** Received bytes: a chunk of the stream, or one datagram. */
  abstract onData(data: Buffer): void

  /** The one backpressure signal: reading follows the socket session's writability. */
  onWritabilityChanged(writable: boolean): void {
    if (!writable) {
      if (this.phase === Phase.Open) this.pause(pausedForSend)
      return
    }
    this.resume(pausedForSend)
    this.session[kWritable]()
  }

  /** The transport is gone. Requests that arrived before the peer's end are still dispatched; nothing else is. */
  onClosed(reason: CloseReason): void {
    if (this.closedReason !== undefined) return
    this.closedReason = reason
    this.frameSince = -1
    if ((this.socket as { readonly sendStalled?: boolean }).sendStalled === true) this.context.counters.sendStalls++
    if (this.phase === Phase.Open || this.phase === Phase.Ending) {
      this.phase = reason === CloseReason.ClientClosing ? Phase.Ending : Phase.Closing
    }
    this.session[kSendingEnded]()
    if (!this.busy) this.pump()
  }

  /** Dispatch what is ready; then resume reading, close or finish, as the state says. */
  protected abstract pump(): void

  /** Before reading starts (a datagram session holds the datagrams that made it until the connect handlers settled). */
  protected beforeStart(): void {}

  /**
   * Run the handlers of `request` (a command, or the `newRequestReceived` listeners). Returns true when they went
   * asynchronous: the session is busy until they settle, and dispatch stops meanwhile.
   */
  protected handle(request: TRequest): boolean {
    const context = this.context
    context.counters.requests++
    // Handler timing costs one property read per request unless someone subscribed (see diagnostics.ts).
    const started = requestHandledChannel.hasSubscribers ? performance.now() : -1
    let result: unknown
    try {
      result = context.router.request(this.session, request)
    } catch (error) {
      if (started >= 0) publishRequestHandled(this.session as AppSession<unknown>, started, true)
      this.handlerFailed(error)
      return false
    }
    if (!isThenable(result)) {
      if (started >= 0) publishRequestHandled(this.session as AppSession<unknown>, started, false)
      return false
    }
    this.await(result, started)
    return true
  }

  /** The awaited handler settled: publish its timing if it was a timed request handler. */
  static #requestSettled<TRequest>(
    dispatcher: Dispatcher<TRequest>,
    callbacks: HandlerCallbacks,
    failed: boolean,
  ): void {
    const started = callbacks.started
    if (started < 0) return
    callbacks.started = -1
    publishRequestHandled(dispatcher.session as AppSession<unknown>, started, failed)
  }

  /**
   * Wait for an asynchronous handler: nothing else of this session is dispatched until it settles. `started`: when a
   * timed request handler was called (see {@link HandlerCallbacks.started}).
   */
  protected await(result: PromiseLike<unknown>, started = -1): void {
    this.busy = true
    let callbacks = this.#callbacks
    if (callbacks === undefined) {
      const made: HandlerCallbacks = {
        abandoned: false,
        since: -1,
        started: -1,
        settled: () => {
          if (made.abandoned) return
          if (made.started >= 0) Dispatcher.#requestSettled(this, made, false)
          this.settled()
        },
        failed: (error: unknown) => {
          if (made.abandoned) return
          if (made.started >= 0) Dispatcher.#requestSettled(this, made, true)
          this.handlerFailed(error)
          this.settled()
        },
      }
      callbacks = made
      this.#callbacks = made
    }
    callbacks.since = clock()
    callbacks.started = started
    result.then(callbacks.settled, callbacks.failed)
  }

  protected settled(): void {
    this.busy = false
    const callbacks = this.#callbacks
    if (callbacks !== undefined) callbacks.since = -1
    this.pump()
  }

  /**
   * Dispatch used up its budget: let the event loop run other sessions, then go on (in order). The session counts as
   * busy meanwhile, so arriving bytes only pile up (and pause reading past the high water mark).
   */
  protected yieldDispatch(): void {
    this.busy = true
    this.context.counters.dispatchYields++
    setImmediate(Dispatcher.#resumeAfterYield, this)
  }

  /** Dispatch goes on after a yield (no closure per session: the dispatcher is the immediate's argument). */
  static #resumeAfterYield<TRequest>(dispatcher: Dispatcher<TRequest>): void {
    if (Dispatcher.#handlerSince(dispatcher) >= 0) return
    dispatcher.busy = false
    dispatcher.pump()
  }

  /** A run of dispatch begins (a read, a handler settled, a yield ended). */
  protected beginRun(): void {
    this.#runCount = 0
  }

  /**
   * Call before dispatching each request of a run: true once the run has dispatched `dispatchBudget` requests (then
   * yield). A run that a `stop()` waits for has no budget.
   */
  protected runSpent(): boolean {
    if (this.#stop === stopAfterRun) return false
    return ++this.#runCount > dispatchBudget
  }

  /** When the asynchronous handler now running began (a `clock()` reading); -1 when none runs. */
  static #handlerSince<TRequest>(dispatcher: Dispatcher<TRequest>): number {
    const callbacks = dispatcher.#callbacks
    return callbacks === undefined ? -1 : callbacks.since
  }

  /** Give up on the handler now running (if any): its late result is ignored; the session is no longer busy. */
  static #abandonHandler<TRequest>(dispatcher: Dispatcher<TRequest>): boolean {
    const callbacks = dispatcher.#callbacks
    if (callbacks === undefined || callbacks.since < 0) return false
    callbacks.abandoned = true
    dispatcher.#callbacks = undefined
    // a timed request handler given up on is published as failed, with the time it was given
    if (callbacks.started >= 0) Dispatcher.#requestSettled(dispatcher, callbacks, true)
    dispatcher.busy = false
    return true
  }

  /**
   * The deadline sweep (`handlerTimeOut`, `frameTimeOut`), with `now` a `clock()` reading: a handler running for
   * longer fails with `HandlerTimeoutError` (by default the session closes with `ApplicationError`) and its late
   * result is ignored; a partial frame waiting longer closes the session with `TimeOut`.
   */
  checkDeadlines(now: number): void {
    const config = this.context.config
    const handlerSince = Dispatcher.#handlerSince(this)
    if (handlerSince >= 0) {
      if (
        config.handlerTimeOut > 0 &&
        now - handlerSince >= config.handlerTimeOut &&
        Dispatcher.#abandonHandler(this)
      ) {
        this.context.counters.handlerTimeouts++
        this.handlerFailed(new HandlerTimeoutError())
        this.pump()
      }
      return
    }
    if (
      this.frameSince >= 0 &&
      config.frameTimeOut > 0 &&
      this.phase === Phase.Open &&
      this.frameElapsed + now - this.frameSince >= config.frameTimeOut
    ) {
      this.frameSince = -1
      this.frameElapsed = 0
      this.context.counters.frameTimeouts++
      this.session.logger.debug('A frame was not complete within frameTimeOut; closing the session', {
        sessionId: this.session.sessionId,
        bufferedBytes: this.bufferedBytes,
      })
      void this.session.close(CloseReason.TimeOut)
    }
  }

  /** `stop()`: read nothing more, dispatch nothing more; close now, or once the running handler settled. */
  shutdown(): void {
    if (this.phase >= Phase.Closing) return
    this.pause(pausedForShutdown)
    const handlerSince = Dispatcher.#handlerSince(this)
    if (this.busy && handlerSince < 0) {
      // A run that yielded for the budget (or connect handlers still running synchronously): it finishes first.
      this.#stop = stopAfterRun
      return
    }
    this.#stop = shuttingDown
    if (handlerSince < 0) void this.session.close(CloseReason.ServerShutdown)
  }

  /** After a run of dispatch: a `stop()` that waited for the run to end takes effect now. */
  protected runEnded(): void {
    if (this.#stop === stopAfterRun) this.#stop = shuttingDown
  }

  /** `stop()`'s deadline: a handler still running is abandoned (not counted as failed); closed now, not drained. */
  abandon(): void {
    this.#stop = shuttingDown
    const abandoned = Dispatcher.#abandonHandler(this)
    void this.session.close(CloseReason.ServerShutdown)
    if (abandoned) this.pump()
    // stop()'s deadline holds: a session still draining (its handler settled at the last moment, its peer reads
    // nothing) is cut now rather than given another closeTimeOut.
    this.socket.abort(CloseReason.ServerShutdown)
  }

  /** The frame clock: a request was parsed, the next frame starts with its first byte. */
  protected frameDone(): void {
    this.frameSince = -1
    this.frameElapsed = 0
  }

  /** Run the frame clock when the peer owes the rest of a partial frame and the server is not the one waiting. */
  protected frameClock(): void {
    const pipeline = this.pipeline
    if (
      this.phase === Phase.Open &&
      !this.busy &&
      this.paused === 0 &&
      pipeline !== undefined &&
      pipeline.bufferedBytes > 0
    ) {
      if (this.frameSince < 0) this.frameSince = clock()
    } else if (this.frameSince >= 0) {
      this.frameElapsed += clock() - this.frameSince
      this.frameSince = -1
    }
  }

  protected pause(cause: number): void {
    if ((this.paused & cause) !== 0) return
    if (this.paused === 0) this.socket.pauseReceive()
    this.paused |= cause
    if (this.frameSince >= 0) this.frameClock()
  }

  protected resume(cause: number): void {
    if ((this.paused & cause) === 0) return
    this.paused &= ~cause
    if (this.paused === 0 && this.phase < Phase.Closing) {
      this.socket.resumeReceive()
      if (!this.busy) this.frameClock()
    }
  }

  /** A handler threw or rejected: the session's `handleException` (by default: log, close with ApplicationError). */
  protected handlerFailed(error: unknown): void {
    const session = this.session
    try {
      session.handleException(error)
    } catch (inner) {
      session.logger.error('handleException threw; closing the session', { sessionId: session.sessionId, err: inner })
      void session.close(CloseReason.ApplicationError)
    }
  }

  /** The byte stream is malformed (or a frame too large): close with ProtocolError; nothing after it is dispatched. */
  protected protocolError(error: unknown): void {
    const session = this.session
    const code = SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
    session.logger.warn('Protocol error; closing the session', { sessionId: session.sessionId, code, err: error })
    void session.close(CloseReason.ProtocolError)
  }

  /** The transport is gone and no handler runs: the session's last event. */
  protected finish(): void {
    if (this.phase === Phase.Closed) return
    this.phase = Phase.Closed
    this.context.sessionClosed(this.session, this.closedReason ?? CloseReason.Unknown)
  }
}
