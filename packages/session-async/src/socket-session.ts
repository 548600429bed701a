import { SendingQueue, type SmartPool } from '@socketlite/sending-queue'
import {
  CloseReason,
  type EndPoint,
  InvalidArgumentError,
  type SocketSession as SocketSessionContract,
  type SocketSessionHandler,
  type SocketSessionKind,
  type SocketSessionState,
  type TextEncoding,
} from '@socketlite/socket-base'

/** Options every socket session takes (the send path and the close deadline). */
export interface SocketSessionInit {
  /**
   * The sending queue (bytes queued + bytes handed to the transport and not yet flushed) may not grow past this:
   * `trySend` returns false. A single payload larger than the mark is accepted into an empty queue.
   * A positive integer (bytes).
   */
  sendHighWaterMark: number
  /**
   * The session is writable again (`onWritabilityChanged(true)`) once the queue, after being full, falls below this
   * (bytes, 0 to `sendHighWaterMark`).
   */
  sendLowWaterMark: number
  /**
   * The chunks small payloads are coalesced into (see `@socketlite/sending-queue`): share one pool across all
   * sessions. Without one, each session makes its chunks itself (an allocation per write).
   * @default no pool
   */
  sendPool?: SmartPool
  /**
   * How long `close()` may drain the queue and wait for the connection to end (ms); then the transport is
   * destroyed. A finite number ≥ 0.
   */
  closeTimeOut: number
  /**
   * A session whose sending queue holds bytes that the peer takes none of for this long (ms) is closed with
   * `CloseReason.TimeOut`: a peer that never reads cannot hold a connection and its queued bytes for good. "Takes
   * none" means the write in flight has not completed (the transport has not flushed the batch to the kernel, or a
   * datagram send has not completed) for this long; each completed write starts the clock again, so a slow but
   * steady reader is never closed by it, nor is a session with nothing queued. The queued bytes are dropped and the
   * transport destroyed at once (they could not be delivered); {@link SocketSession.sendStalled} tells such a close
   * apart. `0` turns it off. A finite number ≥ 0, at most 2147483647.
   * @default 0 (off)
   */
  sendStallTimeOut?: number
  /**
   * Stay open for sending after the peer ended its side (Node's `allowHalfOpen`): the handler's `onEnd` is told,
   * `closeReason` is `ClientClosing` from then on, and the session closes (draining its queue) only when `close()` is
   * called. Without it the peer's end starts closing at once. Streams only; a datagram session has no end.
   * @default false
   */
  allowHalfOpen?: boolean
}

/** Largest delay `setTimeout` accepts (ms). */
const maxTimerMilliseconds = 2_147_483_647

/** Bits of `SocketSession.#flags` (one field instead of eight booleans: sessions are many, most of them idle). */
const Flag = {
  /** `startReceiving()` was called (by `start`, or by `close` to read up to the peer's end). */
  Receiving: 1,
  /** The owner asked for a pause (`pauseReceive`). */
  ReceivePaused: 2,
  /** A flush is scheduled for the next tick. */
  FlushScheduled: 4,
  /** A batch is out at the transport. */
  Writing: 8,
  /** `endTransport()` was called. */
  Ending: 16,
  /** `transportClosed()` was called: nothing more happens on the wire. */
  TransportGone: 32,
  /** `onClosed` was called. */
  Notified: 64,
  /** The `close()` promise is settled (or will be settled at once when made). */
  Settled: 128,
  /** The handler was last told `onWritabilityChanged(false)`. */
  ToldUnwritable: 256,
  /** A writability check is scheduled for the next tick (a change caused by `trySend`). */
  WritabilityScheduled: 512,
  /**
   * The session destroyed the transport (close deadline, failure): a batch under way was cut off, whatever its
   * callback says (Node calls a write's callback without an error once the socket is destroyed).
   */
  Destroyed: 1024,
  /** Closed by the send-stall deadline (`sendStallTimeOut`). */
  Stalled: 2048,
  /** `allowHalfOpen` was set. */
  HalfOpen: 4096,
  /** The peer ended its side of a half-open session, which stays open for sending. */
  InputEnded: 8192,
  /** The transport's queue keeps payloads apart (`coalesce: false`). */
  Separate: 16384,
  /**
   * The handler is handling received bytes (`deliver`): a flush wanted meanwhile is made when it returns, not in a
   * later tick (the replies to a read leave right after it, as a bare echo writes them in its `data` listener).
   */
  Delivering: 32768,
  /**
   * Closing started (a close call, the peer's end, a failure): the state is `closing`, then `closed` once
   * `TransportGone` is set too (the state is kept in these two bits rather than a field of its own).
   */
  Closing: 65536,
} as const

/** Either bit set: the session is no longer `open`. */
const notOpen = Flag.Closing | Flag.TransportGone

/** Options a transport passes to the base (not user options). */
export interface SocketSessionTransportOptions {
  /**
   * Coalesce small payloads into one buffer per write (streams). `false` keeps each payload a buffer of its own in
   * the batch handed to `writeBatch` (datagrams: one payload, one datagram).
   * @default true
   */
  coalesce?: boolean
}

/** Session options whose queue options were checked (a server shares one options object among its sessions). */
const checkedInits = new WeakSet<SocketSessionInit>()

/**
 * A sending queue with the session's options. No callback from the queue (a closure per session): writability is read
 * where the queue changes.
 * @throws {InvalidArgumentError} bad water marks, or `sendPool` not a `SmartPool`.
 */
function queueOf(init: SocketSessionInit, separate: boolean): SendingQueue {
  return new SendingQueue({
    highWaterMark: init.sendHighWaterMark,
    lowWaterMark: init.sendLowWaterMark,
    ...(init.sendPool === undefined ? {} : { pool: init.sendPool }),
    coalesce: !separate,
  })
}

/**
 * What only a closing session or the send-stall check needs: made at the first close (or peer's end, failure) or
 * stall check, so that an idle session holds one field for it.
 */
interface SessionEnding {
  /** The first close reason (see {@link SocketSession.closeReason}). */
  closeReason: CloseReason | undefined
  closeError: Error | undefined
  /** Made by the first `close()` call (see {@link SocketSession.close}). */
  closed: Promise<void> | undefined
  resolveClosed: (() => void) | undefined
  closeTimer: NodeJS.Timeout | undefined
  /**
   * The send-stall check: armed when a batch goes out and none is armed, left armed while batches keep going out
   * (one timer per session, re-armed lazily when it fires, never per write).
   */
  stallTimer: NodeJS.Timeout | undefined
  /** When the batch in flight was handed to the transport (a {@link wholeMillisecondsNow} reading). */
  writeStartedAt: number
  droppedBytes: number
}

/** The `close()` promise of a session that was closed before anyone asked for it. */
const settled: Promise<void> = Promise.resolve()

/**
 * `performance.now()` rounded up to a whole millisecond (so a stall is never found early), a small integer (SMI) below
 * 2^30 ms (12 days): V8 keeps it in the session's field itself, where a fraction is boxed in a heap number, one per
 * session that ever sent.
 */
function wholeMillisecondsNow(): number {
  const now = Math.ceil(performance.now())
  return now < 0x40000000 ? now | 0 : now
}

/**
 * The transport-independent half of every socket session (SuperSocket's `SocketSession`): the state machine
 * `open → closing → closed`, first-reason-wins close reasons, the send path over a coalescing {@link SendingQueue}
 * (everything queued in one tick leaves in one batch, and what the handler queues while it handles received bytes
 * leaves as soon as it returned; one batch in flight at a time; small payloads share pooled
 * chunks), backpressure as one signal (`writable` and `onWritabilityChanged`, Netty's `isWritable()` and
 * `channelWritabilityChanged`: false once the queue is full, true again below the low water mark), and the close
 * deadline (`closeTimeOut`).
 *
 * A transport extends it and implements the protected abstract methods; it reports what happens on the wire by
 * calling {@link SocketSession.deliver}, {@link SocketSession.peerEnded}, {@link SocketSession.transportFailed}
 * and {@link SocketSession.transportClosed}. The base calls the handler; it never calls it re-entrantly from
 * `trySend` or `close`, and `onClosed` always comes asynchronously, exactly once.
 *
 * A session holds no closure of its own, makes its `close()` promise only when it is asked for, and its sending queue
 * only when it first sends, so that an idle session costs little more than its fields.
 */
export abstract class SocketSession implements SocketSessionContract {
  /** Made at the first send (see {@link SocketSession.#sendingQueue}). */
  #queue: SendingQueue | undefined
  /**
   * The options the queue is made with (shared by the sessions of a server, checked once); `sendStallTimeOut` is read
   * from them when a batch goes out.
   */
  readonly #init: SocketSessionInit
  /** Made when first needed (see {@link SessionEnding}). */
  #ending: SessionEnding | undefined
  #handler: SocketSessionHandler | undefined
  /** {@link Flag} bits. */
  #flags = 0
  #bytesReceived = 0
  #bytesSent = 0

  /**
   * `init` is kept, not copied (the sessions of a server share one): do not change it afterwards.
   * @throws {InvalidArgumentError} a water mark is not a valid byte count (see {@link SocketSessionInit}),
   * `closeTimeOut` is not a finite number ≥ 0, `sendStallTimeOut` is not a number from 0 to 2147483647, or `sendPool`
   * is not a `SmartPool`.
   */
  constructor(init: SocketSessionInit, transport: SocketSessionTransportOptions = {}) {
    if (typeof init.closeTimeOut !== 'number' || !Number.isFinite(init.closeTimeOut) || init.closeTimeOut < 0) {
      throw new InvalidArgumentError(`closeTimeOut must be a finite number >= 0, got ${String(init.closeTimeOut)}`)
    }
    const stallTimeOut = init.sendStallTimeOut ?? 0
    if (typeof stallTimeOut !== 'number' || !(stallTimeOut >= 0) || stallTimeOut > maxTimerMilliseconds) {
      throw new InvalidArgumentError(
        `sendStallTimeOut must be a number from 0 to ${maxTimerMilliseconds}, got ${String(stallTimeOut)}`,
      )
    }
    this.#flags = (init.allowHalfOpen === true ? Flag.HalfOpen : 0) | (transport.coalesce === false ? Flag.Separate : 0)
    this.#init = init
    // The queue's options are checked now, the queue made at the first send: once per options object.
    if (!checkedInits.has(init)) {
      queueOf(init, false)
      checkedInits.add(init)
    }
  }

  /** The peer's endpoint. */
  abstract get remoteEndPoint(): EndPoint
  /** The local endpoint of the connection (for UDP: the listener's). */
  abstract get localEndPoint(): EndPoint

  /** True for TLS. */
  get secure(): boolean {
    return false
  }

  /** `'stream'`; a datagram transport overrides it (and {@link SocketSession.maxMessageSize}). */
  get kind(): SocketSessionKind {
    return 'stream'
  }

  /** Largest payload of one send: `Infinity` for a stream. */
  get maxMessageSize(): number {
    return Number.POSITIVE_INFINITY
  }

  /** `open`, then `closing` from the first close (call, FIN, error) until the transport is gone, then `closed`. */
  get state(): SocketSessionState {
    const flags = this.#flags
    return (flags & Flag.TransportGone) !== 0 ? 'closed' : (flags & Flag.Closing) !== 0 ? 'closing' : 'open'
  }

  /**
   * The first close reason, once closing; for a half-open session `ClientClosing` from the peer's end on (it stays
   * `open` for sending until closed).
   */
  get closeReason(): CloseReason | undefined {
    return this.#ending?.closeReason
  }

  /**
   * The error behind the close, if any: the transport's error (reset, write failure), or an exception a handler
   * method threw (the session then closes with `InternalError`).
   */
  get closeError(): Error | undefined {
    return this.#ending?.closeError
  }

  /** The sending queue's size: bytes accepted by `trySend` and not yet flushed by the transport. */
  get pendingBytes(): number {
    return this.#queue === undefined ? 0 : this.#queue.byteLength
  }

  /**
   * Netty's `isWritable()`: true while the session is open and its sending queue is not full; false from a refused
   * send or the high water mark reached until the queue falls below the low water mark. The handler hears each
   * change through `onWritabilityChanged`. Advisory: `trySend` still accepts what fits under the high mark.
   */
  get writable(): boolean {
    return (this.#flags & notOpen) === 0 && (this.#queue === undefined || this.#queue.writable)
  }

  /**
   * True once the session was closed by the send-stall deadline (`sendStallTimeOut`): its peer took none of the
   * queued bytes for that long. Its close reason is then `TimeOut` (unless another reason came first).
   */
  get sendStalled(): boolean {
    return (this.#flags & Flag.Stalled) !== 0
  }

  /** Bytes delivered to `onData`. */
  get bytesReceived(): number {
    return this.#bytesReceived
  }

  /** Bytes the transport reported written. */
  get bytesSent(): number {
    return this.#bytesSent
  }

  /**
   * Bytes accepted by `trySend`/`trySendCopy` that were still waiting in the queue, never handed to the transport,
   * when it went away (a reset, a write error, the close or send-stall deadline): certainly not sent. The batch the transport was
   * writing then is not among them (some of it may have left); neither is counted in {@link SocketSession.bytesSent}.
   */
  get droppedBytes(): number {
    return this.#ending === undefined ? 0 : this.#ending.droppedBytes
  }

  /**
   * Start reading; bytes go to `handler`. When the session closed before (e.g. the peer reset the connection
   * while the owner was deciding), `handler.onClosed` follows asynchronously.
   * @throws {InvalidArgumentError} `start` was already called.
   */
  start(handler: SocketSessionHandler): void {
    if (this.#handler !== undefined) throw new InvalidArgumentError('start() was already called')
    this.#handler = handler
    if ((this.#flags & Flag.TransportGone) !== 0) {
      SocketSession.#scheduleNotify(this)
      return
    }
    // Sends made before start filled the queue: tell the handler now that it exists.
    if (this.#queue !== undefined && !this.#queue.writable) SocketSession.#scheduleWritabilityCheck(this)
    const flags = this.#flags
    if ((flags & (Flag.Closing | Flag.Receiving)) !== 0) return
    this.#flags = flags | Flag.Receiving
    this.startReceiving()
    if ((this.#flags & Flag.ReceivePaused) !== 0) this.pauseReceiving()
  }

  /**
   * Queue `data`, handing it over: the session owns it from now on (do not modify it afterwards). Payloads under
   * 2 KiB are copied into the queue's pooled chunk after the ones before them; larger ones are queued without a
   * copy. False, and nothing queued, when closing, closed, or without room: room means the queue is empty or `data`
   * fits under the high water mark. Everything queued in one tick is handed to the transport as one batch; what the
   * handler queues from `onData` leaves as one batch as soon as `onData` returned. Never throws.
   */
  trySend(data: Uint8Array): boolean {
    if ((this.#flags & notOpen) !== 0 || !(data instanceof Uint8Array)) return false
    const queue = this.#queue ?? SocketSession.#sendingQueue(this)
    const accepted = queue.enqueue(data)
    if (!queue.writable && (this.#flags & Flag.ToldUnwritable) === 0) SocketSession.#scheduleWritabilityCheck(this)
    if (accepted && (this.#flags & (Flag.FlushScheduled | Flag.Writing)) === 0) SocketSession.#scheduleFlush(this)
    return accepted
  }

  /**
   * Queue a copy of `data`; the caller keeps it (and may reuse it at once). Bytes are copied and a string is
   * encoded in `encoding`, once, straight into the queue's chunk (a payload larger than a chunk gets an exact buffer
   * of its own). Same room rule and result as {@link SocketSession.trySend}. Never throws.
   */
  trySendCopy(data: Uint8Array | string, encoding: TextEncoding = 'utf8'): boolean {
    if ((this.#flags & notOpen) !== 0 || (typeof data !== 'string' && !(data instanceof Uint8Array))) return false
    const queue = this.#queue ?? SocketSession.#sendingQueue(this)
    const accepted = queue.enqueueCopy(data, encoding)
    if (!queue.writable && (this.#flags & Flag.ToldUnwritable) === 0) SocketSession.#scheduleWritabilityCheck(this)
    if (accepted && (this.#flags & (Flag.FlushScheduled | Flag.Writing)) === 0) SocketSession.#scheduleFlush(this)
    return accepted
  }

  /** Stop reading from the peer (backpressure); the transport's buffers then fill and the peer is slowed down. */
  pauseReceive(): void {
    this.#flags |= Flag.ReceivePaused
    if ((this.#flags & (notOpen | Flag.Receiving)) === Flag.Receiving) this.pauseReceiving()
  }

  /** Read again after {@link SocketSession.pauseReceive}. */
  resumeReceive(): void {
    this.#flags &= ~Flag.ReceivePaused
    if ((this.#flags & (notOpen | Flag.Receiving)) === Flag.Receiving) this.resumeReceiving()
  }

  /**
   * Close with `reason`; the first reason wins (a close call, the peer's FIN, a transport error). No more bytes
   * are delivered; what was queued before the call is sent, then the connection is ended; after `closeTimeOut` the
   * transport is destroyed whatever is left. Resolves once the transport is gone, after `onClosed`.
   * Every call returns the same promise, which never rejects.
   */
  close(reason: CloseReason): Promise<void> {
    const ending = SocketSession.#endingState(this)
    if ((this.#flags & notOpen) === 0) {
      // A half-open session whose peer ended keeps ClientClosing: the peer's end came first.
      ending.closeReason ??= reason
      SocketSession.#beginClose(this)
    }
    let closed = ending.closed
    if (closed === undefined) {
      // Made on demand: most sessions are closed by their peer and nobody waits for them.
      if ((this.#flags & Flag.Settled) !== 0) closed = settled
      else closed = new Promise<void>((resolve) => (ending.resolveClosed = resolve))
      ending.closed = closed
    }
    return closed
  }

  /**
   * Close now, without draining: what is queued is dropped (counted in `droppedBytes`) and the transport destroyed;
   * `reason` is recorded unless one came first. `close()`'s promise resolves once the transport is gone. Idempotent.
   */
  abort(reason: CloseReason): void {
    const ending = SocketSession.#endingState(this)
    if ((this.#flags & notOpen) === 0) {
      ending.closeReason ??= reason
      this.#flags |= Flag.Closing
    }
    if (ending.closeTimer !== undefined) {
      clearTimeout(ending.closeTimer)
      ending.closeTimer = undefined
    }
    SocketSession.#closeDeadline(this)
  }

  // ---- the transport's side -------------------------------------------------------------------------------------

  /**
   * Begin delivering received bytes through {@link SocketSession.deliver}, the peer's end through
   * {@link SocketSession.peerEnded}. Called once, by `start()` (or by `close()` before `start()`, to read up to the
   * peer's end; the bytes are then dropped).
   */
  protected abstract startReceiving(): void

  /** Stop reading at the transport (owner backpressure). */
  protected abstract pauseReceiving(): void

  /** Read again. Also called when closing starts, so the peer's end is seen. */
  protected abstract resumeReceiving(): void

  /**
   * Write `batch` (one gather write for a stream; one datagram per buffer for UDP) and call `done` once when the
   * transport has flushed it, or with the error that stopped it. Only one batch is out at a time. The buffers may
   * be read until `done` is called (they may be views of pooled chunks, reused once `done` came). The close path
   * does not wait for `done`, but the transport must still call it once, also after it was destroyed (Node's
   * sockets do), or the batch's pooled chunks never go back to the pool.
   */
  protected abstract writeBatch(batch: readonly Uint8Array[], done: (error?: Error | null) => void): void

  /**
   * End the connection gracefully (TCP: FIN) once everything queued was written; the transport then reports
   * {@link SocketSession.transportClosed} when it is fully gone (TCP: after the peer's end as well).
   */
  protected abstract endTransport(): void

  /** Tear the transport down at once (close deadline, errors); it must report {@link SocketSession.transportClosed}. */
  protected abstract destroyTransport(): void

  /** The transport received `data` (a buffer it never reuses). Dropped unless the session is open and started. */
  protected deliver(data: Buffer): void {
    if ((this.#flags & notOpen) !== 0) return
    const handler = this.#handler
    if (handler === undefined) return
    this.#bytesReceived += data.length
    // A flush already scheduled (by a send before this read) stays with its tick.
    const scheduledBefore = this.#flags & Flag.FlushScheduled
    this.#flags |= Flag.Delivering
    try {
      handler.onData(data)
    } catch (error) {
      SocketSession.#handlerFailed(this, error)
    }
    // What the handler queued leaves now, as one batch: no flush tick per read (process.nextTick costs about
    // 0.3 µs, 10 ns per request when a read carries 32 of them).
    const flags = this.#flags
    if (scheduledBefore === 0 && (flags & Flag.FlushScheduled) !== 0) {
      this.#flags = flags & ~(Flag.Delivering | Flag.FlushScheduled)
      SocketSession.#flush(this)
    } else this.#flags = flags & ~Flag.Delivering
  }

  /**
   * The peer ended its side (TCP FIN): closing with `ClientClosing` unless a reason came first; with `allowHalfOpen`,
   * the session stays open for sending (with `ClientClosing` as its close reason) until its owner closes it.
   */
  protected peerEnded(): void {
    const flags = this.#flags
    if ((flags & (notOpen | Flag.InputEnded)) !== 0) return
    const ending = SocketSession.#endingState(this)
    ending.closeReason = CloseReason.ClientClosing
    if ((flags & Flag.HalfOpen) !== 0) {
      this.#flags = flags | Flag.InputEnded
      try {
        this.#handler?.onEnd?.()
      } catch (error) {
        SocketSession.#handlerFailed(this, error)
      }
      return
    }
    this.#flags |= Flag.Closing
    try {
      this.#handler?.onEnd?.()
    } catch (error) {
      ending.closeError ??= toError(error)
    }
    SocketSession.#beginClose(this)
  }

  /**
   * The transport failed (reset, write error): closing with `SocketError` unless a reason came first. Queued bytes
   * are dropped and the transport destroyed; it reports {@link SocketSession.transportClosed} when gone.
   */
  protected transportFailed(error: Error): void {
    const ending = SocketSession.#endingState(this)
    ending.closeError ??= error
    if ((this.#flags & notOpen) === 0) {
      ending.closeReason ??= CloseReason.SocketError
      this.#flags |= Flag.Closing
    }
    if ((this.#flags & Flag.TransportGone) !== 0) return
    SocketSession.#dropQueue(this)
    this.#flags |= Flag.Destroyed
    this.destroyTransport()
  }

  /** The transport is fully gone. The session is `closed`; `onClosed` and the `close()` promise follow. Idempotent. */
  protected transportClosed(): void {
    if ((this.#flags & Flag.TransportGone) !== 0) return
    this.#flags |= Flag.TransportGone
    const ending = SocketSession.#endingState(this)
    ending.closeReason ??= CloseReason.SocketError
    if (ending.closeTimer !== undefined) {
      clearTimeout(ending.closeTimer)
      ending.closeTimer = undefined
    }
    if (ending.stallTimer !== undefined) {
      clearTimeout(ending.stallTimer)
      ending.stallTimer = undefined
    }
    SocketSession.#dropQueue(this)
    SocketSession.#scheduleNotify(this)
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  /** The transport is going away: drop what is queued, counting the bytes never handed to it. */
  static #dropQueue(session: SocketSession): void {
    const queue = session.#queue
    if (queue === undefined) return
    const pending = queue.pendingByteLength
    if (pending > 0) SocketSession.#endingState(session).droppedBytes += pending
    queue.clear()
  }

  /** The {@link SessionEnding} state, made at the first call. */
  static #endingState(session: SocketSession): SessionEnding {
    let ending = session.#ending
    if (ending === undefined) {
      ending = {
        closeReason: undefined,
        closeError: undefined,
        closed: undefined,
        resolveClosed: undefined,
        closeTimer: undefined,
        stallTimer: undefined,
        writeStartedAt: 0,
        droppedBytes: 0,
      }
      session.#ending = ending
    }
    return ending
  }

  /** The sending queue, made at the first send. */
  static #sendingQueue(session: SocketSession): SendingQueue {
    session.#queue = queueOf(session.#init, (session.#flags & Flag.Separate) !== 0)
    return session.#queue
  }

  static #beginClose(session: SocketSession): void {
    session.#flags |= Flag.Closing
    const flags = session.#flags
    if ((flags & Flag.TransportGone) !== 0) return
    const timer = setTimeout(SocketSession.#closeDeadline, session.#init.closeTimeOut, session)
    timer.unref()
    SocketSession.#endingState(session).closeTimer = timer
    // Keep reading (bytes are dropped now) so the peer's end is seen and unread bytes do not turn the close
    // into a reset that could discard what the peer has not read yet.
    if ((flags & Flag.Receiving) !== 0) session.resumeReceiving()
    else {
      session.#flags = flags | Flag.Receiving
      session.startReceiving()
    }
    SocketSession.#endIfDrained(session)
  }

  static #closeDeadline(session: SocketSession): void {
    ;(session.#ending as SessionEnding).closeTimer = undefined
    if ((session.#flags & Flag.TransportGone) !== 0) return
    SocketSession.#dropQueue(session)
    session.#flags |= Flag.Destroyed
    session.destroyTransport()
  }

  static #endIfDrained(session: SocketSession): void {
    const flags = session.#flags
    if ((flags & notOpen) !== Flag.Closing) return
    if ((flags & (Flag.Ending | Flag.TransportGone | Flag.Writing | Flag.FlushScheduled)) !== 0) return
    if (session.#queue !== undefined && session.#queue.byteLength > 0) {
      SocketSession.#scheduleFlush(session)
      return
    }
    session.#flags = flags | Flag.Ending
    session.endTransport()
  }

  static #scheduleFlush(session: SocketSession): void {
    const flags = session.#flags
    if ((flags & (Flag.FlushScheduled | Flag.Writing)) !== 0) return
    session.#flags = flags | Flag.FlushScheduled
    // While the handler handles received bytes, deliver() flushes once it returned.
    if ((flags & Flag.Delivering) === 0) process.nextTick(SocketSession.#flushTick, session)
  }

  static #flushTick(session: SocketSession): void {
    session.#flags &= ~Flag.FlushScheduled
    SocketSession.#flush(session)
  }

  static #flush(session: SocketSession): void {
    if ((session.#flags & (Flag.Writing | Flag.TransportGone | Flag.Ending)) !== 0) return
    const queue = session.#queue
    if (queue === undefined) {
      SocketSession.#endIfDrained(session)
      return
    }
    const batch = queue.takeBatch()
    if (batch.length === 0) {
      SocketSession.#endIfDrained(session)
      return
    }
    const bytes = queue.inFlightByteLength
    session.#flags |= Flag.Writing
    const stallTimeOut = session.#init.sendStallTimeOut
    if (stallTimeOut !== undefined && stallTimeOut > 0) {
      const ending = SocketSession.#endingState(session)
      ending.writeStartedAt = wholeMillisecondsNow()
      if (ending.stallTimer === undefined) SocketSession.#armStallCheck(session, stallTimeOut)
    }
    let synchronous = true
    let called = false
    session.writeBatch(batch, (error) => {
      if (called) return
      called = true
      SocketSession.#batchDone(session, bytes, error, synchronous)
    })
    synchronous = false
  }

  static #batchDone(
    session: SocketSession,
    bytes: number,
    error: Error | null | undefined,
    synchronous: boolean,
  ): void {
    session.#flags &= ~Flag.Writing
    const queue = session.#queue as SendingQueue
    if ((session.#flags & (Flag.TransportGone | Flag.Destroyed)) !== 0) {
      // The queue was cleared when the transport went: this only ends the flight and gives its chunks back. Not
      // counted as sent: a destroy cancels the write (Node still calls back without an error).
      queue.complete(0)
      return
    }
    if (error) {
      session.transportFailed(error)
      queue.complete(0)
      return
    }
    session.#bytesSent += bytes
    queue.complete(bytes)
    // Writable again (the queue was full and is now below the low mark): the handler may queue more from
    // onWritabilityChanged, as the Writing flag is already cleared.
    if ((session.#flags & Flag.ToldUnwritable) !== 0 && queue.writable) SocketSession.#checkWritability(session)
    if (queue.pendingByteLength > 0) {
      // Everything queued while the batch was out leaves as the next batch; never recurse from a synchronous done.
      if (synchronous) SocketSession.#scheduleFlush(session)
      else SocketSession.#flush(session)
    } else SocketSession.#endIfDrained(session)
  }

  static #armStallCheck(session: SocketSession, delay: number): void {
    const timer = setTimeout(SocketSession.#stallCheck, delay, session)
    timer.unref()
    SocketSession.#endingState(session).stallTimer = timer
  }

  /**
   * The send-stall timer fired: nothing in flight → disarmed (the next batch arms it again); the batch in flight
   * went out less than `sendStallTimeOut` ago → re-armed for the rest; else the peer took nothing for that long.
   */
  static #stallCheck(session: SocketSession): void {
    const ending = SocketSession.#endingState(session)
    ending.stallTimer = undefined
    const flags = session.#flags
    if ((flags & Flag.TransportGone) !== 0 || (flags & Flag.Writing) === 0) return
    const rest = (session.#init.sendStallTimeOut as number) - (performance.now() - ending.writeStartedAt)
    // Timers run on the loop's cached clock, which may lag a little behind performance.now(): a check that fires
    // early by a fraction of a millisecond is not a stall yet.
    if (rest >= 1) {
      SocketSession.#armStallCheck(session, Math.ceil(rest))
      return
    }
    SocketSession.#stalled(session)
  }

  /** The peer took none of the queued bytes for `sendStallTimeOut`: drop them and tear the transport down. */
  static #stalled(session: SocketSession): void {
    if ((session.#flags & notOpen) === 0) {
      SocketSession.#endingState(session).closeReason ??= CloseReason.TimeOut
      session.#flags |= Flag.Closing
    }
    SocketSession.#dropQueue(session)
    session.#flags |= Flag.Stalled | Flag.Destroyed
    session.destroyTransport()
  }

  static #scheduleWritabilityCheck(session: SocketSession): void {
    const flags = session.#flags
    if ((flags & Flag.WritabilityScheduled) !== 0) return
    session.#flags = flags | Flag.WritabilityScheduled
    process.nextTick(SocketSession.#writabilityTick, session)
  }

  /**
   * A send made the queue unwritable while the handler was told it is writable: tell it now, even if the queue
   * became writable again meanwhile (then both changes, in order), so that an owner waiting for room after a
   * refusal always hears of the room.
   */
  static #writabilityTick(session: SocketSession): void {
    session.#flags &= ~Flag.WritabilityScheduled
    if ((session.#flags & Flag.ToldUnwritable) === 0) SocketSession.#tell(session, false)
    if ((session.#queue as SendingQueue).writable) SocketSession.#checkWritability(session)
  }

  /** Tell the handler when the queue's writability differs from what it was last told (only while open). */
  static #checkWritability(session: SocketSession): void {
    const writable = (session.#queue as SendingQueue).writable
    if (writable !== ((session.#flags & Flag.ToldUnwritable) === 0)) SocketSession.#tell(session, writable)
  }

  static #tell(session: SocketSession, writable: boolean): void {
    const handler = session.#handler
    if ((session.#flags & notOpen) !== 0 || handler === undefined) return
    session.#flags = writable ? session.#flags & ~Flag.ToldUnwritable : session.#flags | Flag.ToldUnwritable
    try {
      handler.onWritabilityChanged?.(writable)
    } catch (error) {
      SocketSession.#handlerFailed(session, error)
    }
  }

  static #handlerFailed(session: SocketSession, error: unknown): void {
    SocketSession.#endingState(session).closeError ??= toError(error)
    void session.close(CloseReason.InternalError)
  }

  static #scheduleNotify(session: SocketSession): void {
    process.nextTick(SocketSession.#notifyClosed, session)
  }

  static #notifyClosed(session: SocketSession): void {
    const handler = session.#handler
    if (handler !== undefined && (session.#flags & Flag.Notified) === 0) {
      session.#flags |= Flag.Notified
      try {
        handler.onClosed(session.#ending?.closeReason ?? CloseReason.Unknown)
      } catch (error) {
        SocketSession.#endingState(session).closeError ??= toError(error)
      }
    }
    session.#flags |= Flag.Settled
    const ending = session.#ending
    const resolve = ending?.resolveClosed
    if (resolve !== undefined) {
      ;(ending as SessionEnding).resolveClosed = undefined
      resolve()
    }
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
