import { SocketSession, type SocketSessionInit } from '@socketlite/session-async'
import { type EndPoint, InvalidArgumentError, type SocketSessionKind, type TextEncoding } from '@socketlite/socket-base'
import type { DatagramSender } from './datagram-sender.js'

/** Options of {@link UdpSocketSession}. */
export interface UdpSocketSessionInit extends SocketSessionInit {
  /** The bound socket the peer's datagrams arrive on; replies leave through it. */
  sender: DatagramSender
  /** The peer; {@link UdpSocketSession.updateRemoteEndPoint} moves it. */
  remoteEndPoint: EndPoint
  /** The bound socket's endpoint. */
  localEndPoint: EndPoint
  /**
   * Datagrams received while the owner paused receiving (a slow handler) wait in a queue of at most this many;
   * more are dropped and counted in {@link UdpSocketSession.droppedDatagrams}. A positive integer.
   * @default 1024
   */
  maxQueuedDatagrams?: number
  /**
   * ... and of at most this many bytes in all: a datagram that would take the waiting bytes past it is dropped and
   * counted. A positive integer.
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number
}

const emptyBuffer = Buffer.alloc(0)

function checkEndPoint(name: string, value: EndPoint): EndPoint {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.address !== 'string' ||
    !Number.isInteger(value.port) ||
    value.port < 0 ||
    value.port > 65_535
  ) {
    throw new InvalidArgumentError(`${name} must be an endpoint { address, port, family }`)
  }
  return Object.freeze({ address: value.address, port: value.port, family: value.family })
}

/**
 * A UDP "session" (SuperSocket's `UdpSocketSession`): the datagrams of one remote peer on a bound socket it shares
 * with every other peer. It has no socket of its own: whoever reads the socket (the server's UDP demultiplexer) hands
 * each datagram of this peer to {@link UdpSocketSession.receive}, and replies go out through the shared
 * {@link DatagramSender}.
 *
 * It reuses the whole `SocketSession` base (`@socketlite/session-async`): the state machine, first-reason-wins close
 * reasons, the byte-bounded sending queue and its water marks (bytes handed to the socket and not yet sent count),
 * the writability signal, and the close deadline. The queue does not coalesce: one payload, one datagram (copies
 * still go into the pooled chunks of `sendPool`).
 *
 * - **Receiving.** Each datagram is delivered to `onData` whole, in arrival order, one call per datagram.
 *   `pauseReceive()` (a slow handler) holds further datagrams in a queue bounded in count and bytes
 *   (`maxQueuedDatagrams`, `maxQueuedBytes`; overflow dropped and counted) and `resumeReceive()` delivers them in
 *   order. Datagrams that arrive before `start` wait in the same queue.
 * - **Sending.** Each `trySend` / `trySendCopy` payload leaves as one datagram to the peer's current endpoint. A
 *   payload larger than the sender's `maxDatagramSize` is refused (false; see `maxDatagramSize`). A send error closes
 *   the session with `SocketError`.
 * - **Closing.** There is no connection to end: `close()` sends what was queued (at most `closeTimeOut`), then the
 *   session is closed. No datagram is delivered once closing. Peers have no FIN: idle clearing ends sessions.
 *
 * @example
 * ```ts
 * const sessions = new Map<string, UdpSocketSession>()
 * listener.on('message', (data, remote) => {
 *   const key = formatEndPoint(remote)
 *   let session = sessions.get(key)
 *   if (session === undefined) {
 *     session = new UdpSocketSession({ sender: listener, remoteEndPoint: remote, localEndPoint: listener.endPoint!,
 *       sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 })
 *     sessions.set(key, session)
 *     session.start({ onData: (datagram) => session!.trySend(datagram), onClosed: () => sessions.delete(key) })
 *   }
 *   session.receive(data)
 * })
 * ```
 */
export class UdpSocketSession extends SocketSession {
  readonly #sender: DatagramSender
  readonly #localEndPoint: EndPoint
  readonly #maxQueued: number
  readonly #maxQueuedBytes: number
  #remoteEndPoint: EndPoint
  /** Datagrams waiting for delivery: `#queue[#head..]`, `#queuedBytes` bytes in all. */
  #queue: Buffer[] = []
  #head = 0
  #queuedBytes = 0
  #receiving = false
  #paused = false
  #delivering = false
  #dropped = 0
  #datagramsReceived = 0
  #datagramsSent = 0

  /**
   * @throws {InvalidArgumentError} invalid options (see `SocketSessionInit`), a sender without `send`, an endpoint
   *   that is not `{ address, port, family }`, or `maxQueuedDatagrams` / `maxQueuedBytes` not a positive integer.
   */
  constructor(init: UdpSocketSessionInit) {
    // One payload, one datagram: the queue keeps payloads apart.
    super(init, { coalesce: false })
    const sender = init.sender
    if (typeof sender !== 'object' || sender === null || typeof sender.send !== 'function') {
      throw new InvalidArgumentError('sender must have send(data, remote, callback)')
    }
    const maxQueued = init.maxQueuedDatagrams ?? 1_024
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new InvalidArgumentError(`maxQueuedDatagrams must be a positive integer, got ${String(maxQueued)}`)
    }
    const maxQueuedBytes = init.maxQueuedBytes ?? 1_048_576
    if (!Number.isInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
      throw new InvalidArgumentError(`maxQueuedBytes must be a positive integer, got ${String(maxQueuedBytes)}`)
    }
    this.#sender = sender
    this.#maxQueued = maxQueued
    this.#maxQueuedBytes = maxQueuedBytes
    this.#remoteEndPoint = checkEndPoint('remoteEndPoint', init.remoteEndPoint)
    this.#localEndPoint = checkEndPoint('localEndPoint', init.localEndPoint)
  }

  /** The peer's current endpoint (where replies go). */
  get remoteEndPoint(): EndPoint {
    return this.#remoteEndPoint
  }

  /** The bound socket's endpoint. */
  get localEndPoint(): EndPoint {
    return this.#localEndPoint
  }

  /** `'datagram'`: every received message is one datagram, every send leaves as one. */
  override get kind(): SocketSessionKind {
    return 'datagram'
  }

  /** Largest payload `trySend` accepts: one datagram's worth (the sender's limit). */
  override get maxMessageSize(): number {
    return this.#sender.maxDatagramSize
  }

  /** The same as {@link UdpSocketSession.maxMessageSize}. */
  get maxDatagramSize(): number {
    return this.#sender.maxDatagramSize
  }

  /** Datagrams received and waiting for delivery (receiving is paused, or the session is not started yet). */
  get queuedDatagrams(): number {
    return this.#queue.length - this.#head
  }

  /** Bytes of the datagrams waiting for delivery. */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Datagrams dropped because the queue was full, in count or bytes (or the session was closing). */
  get droppedDatagrams(): number {
    return this.#dropped
  }

  /** Datagrams delivered to `onData`. */
  get datagramsReceived(): number {
    return this.#datagramsReceived
  }

  /** Datagrams the sender reported sent. */
  get datagramsSent(): number {
    return this.#datagramsSent
  }

  /**
   * A datagram of this peer arrived (call it from the socket's demultiplexer, in arrival order). It is delivered to
   * `onData` now, or queued while receiving is paused or before `start`. Returns false when it was dropped: the
   * queue is full (`maxQueuedDatagrams` datagrams, or `maxQueuedBytes` bytes with this one), or the session is closing
   * or closed. The buffer becomes the session's (and then the handler's).
   */
  receive(datagram: Buffer): boolean {
    if (this.state !== 'open') {
      this.#dropped += 1
      return false
    }
    if (this.#head === this.#queue.length && this.#receiving && !this.#paused && !this.#delivering) {
      this.#deliverOne(datagram)
      return true
    }
    if (this.queuedDatagrams >= this.#maxQueued || this.#queuedBytes + datagram.length > this.#maxQueuedBytes) {
      this.#dropped += 1
      return false
    }
    this.#queue.push(datagram)
    this.#queuedBytes += datagram.length
    this.#flush()
    return true
  }

  /**
   * The peer now sends from `endPoint` (it roamed: a NAT rebinding, a new network); replies go there from now on,
   * including what is queued and not yet sent.
   * @throws {InvalidArgumentError} not an endpoint.
   */
  updateRemoteEndPoint(endPoint: EndPoint): void {
    this.#remoteEndPoint = checkEndPoint('endPoint', endPoint)
  }

  /**
   * Queue `data` as one datagram (ownership passes to the session). False, and nothing queued, when closing, closed,
   * without room, or when `data` is larger than {@link UdpSocketSession.maxDatagramSize}. Never throws.
   */
  override trySend(data: Uint8Array): boolean {
    if (!(data instanceof Uint8Array) || data.byteLength > this.#sender.maxDatagramSize) return false
    return super.trySend(data)
  }

  /**
   * Queue a copy of `data` (a string encoded in `encoding`) as one datagram; the caller keeps `data`. False, and
   * nothing queued, as for {@link UdpSocketSession.trySend}, also when the encoded string is larger than
   * {@link UdpSocketSession.maxDatagramSize}. Never throws.
   */
  override trySendCopy(data: Uint8Array | string, encoding: TextEncoding = 'utf8'): boolean {
    const limit = this.#sender.maxDatagramSize
    if (typeof data === 'string') {
      // No encoding takes more than 3 bytes per UTF-16 code unit: short strings fit without measuring.
      if (data.length * 3 > limit && Buffer.byteLength(data, encoding) > limit) return false
    } else if (!(data instanceof Uint8Array) || data.byteLength > limit) return false
    return super.trySendCopy(data, encoding)
  }

  /** Hold further datagrams in the queue (bounded by `maxQueuedDatagrams`) until {@link UdpSocketSession.resumeReceive}. */
  override pauseReceive(): void {
    this.#paused = true
    super.pauseReceive()
  }

  /** Deliver the queued datagrams, in order, and the next ones as they come. */
  override resumeReceive(): void {
    this.#paused = false
    super.resumeReceive()
  }

  protected startReceiving(): void {
    this.#receiving = true
    this.#flush()
  }

  protected pauseReceiving(): void {
    // Nothing to do at the socket (it is shared); `#paused` holds datagrams back in the queue.
  }

  protected resumeReceiving(): void {
    if (this.state !== 'open') {
      // Closing: nothing is delivered any more.
      this.#dropped += this.queuedDatagrams
      this.#queue = []
      this.#head = 0
      this.#queuedBytes = 0
      return
    }
    this.#flush()
  }

  protected writeBatch(batch: readonly Uint8Array[], done: (error?: Error | null) => void): void {
    let outstanding = batch.length
    let failed = false
    const remote = this.#remoteEndPoint
    const sent = (error: Error | null): void => {
      if (failed) return
      if (error) {
        failed = true
        done(error)
        return
      }
      this.#datagramsSent += 1
      outstanding -= 1
      if (outstanding === 0) done()
    }
    for (const datagram of batch) {
      this.#sender.send(datagram, remote, sent)
      if (failed) return
    }
  }

  protected endTransport(): void {
    this.transportClosed()
  }

  protected destroyTransport(): void {
    this.transportClosed()
  }

  #deliverOne(datagram: Buffer): void {
    this.#delivering = true
    try {
      this.#datagramsReceived += 1
      this.deliver(datagram)
    } finally {
      this.#delivering = false
    }
    // A datagram queued while that one was being handled (re-entrant receive) goes next.
    if (this.#head < this.#queue.length) this.#flush()
  }

  /** Deliver queued datagrams in order while receiving, not paused and open. Never re-entrant. */
  #flush(): void {
    if (this.#delivering) return
    this.#delivering = true
    try {
      while (this.#head < this.#queue.length && this.#receiving && !this.#paused && this.state === 'open') {
        const datagram = this.#queue[this.#head] as Buffer
        this.#queue[this.#head] = emptyBuffer
        this.#head += 1
        this.#queuedBytes -= datagram.length
        this.#datagramsReceived += 1
        this.deliver(datagram)
      }
    } finally {
      this.#delivering = false
      if (this.#head === this.#queue.length) {
        this.#queue = []
        this.#head = 0
      } else if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
    }
  }
}
