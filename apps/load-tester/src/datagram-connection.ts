import dgram from 'node:dgram'
import { type ConnectionHost, type EngineConnection, nextPowerOfTwo } from './connection-host.js'
import { describeError } from './error-kinds.js'

/**
 * One UDP "connection": a connected datagram socket of its own (its own source port, so a server that keeps a
 * session per remote endpoint sees one session each). Every message is one datagram and its echo must be the
 * same datagram; echoes may arrive in any order (each is matched to the oldest pending message with the same
 * bytes). A datagram that matches nothing pending is a `mismatch`, unless it matches a message that already timed
 * out (then it is counted as late, not as an error). Lost datagrams become `timeout`s; the socket stays.
 * In request/reply mode each datagram is one reply frame and answers the oldest message still pending.
 */
export class DatagramConnection implements EngineConnection {
  readonly index: number
  readonly #host: ConnectionHost
  readonly #frameLength: number
  readonly #frameCount: number
  #socket: dgram.Socket | undefined
  #up = false
  #connectStart = 0
  #startFrame = 0
  /** Next sequence number to send; `#oldest` is the lowest that may still be pending. */
  #sent = 0
  #oldest = 0
  #pendingCount = 0
  #times: Float64Array
  #pending: Uint8Array
  #mask: number
  #scheduled = 0
  #origin = -1
  readonly #phase: number

  constructor(host: ConnectionHost, index: number, phase: number) {
    this.#host = host
    this.index = index
    this.#phase = phase
    this.#frameLength = host.config.pattern.frameLength
    this.#frameCount = host.config.pattern.frameCount
    const capacity = nextPowerOfTwo(Math.max(1024, host.config.pipeline * 4))
    this.#times = new Float64Array(capacity)
    this.#pending = new Uint8Array(capacity)
    this.#mask = capacity - 1
  }

  get isOpen(): boolean {
    return this.#up
  }

  get inFlight(): number {
    return this.#pendingCount
  }

  open(): void {
    const config = this.#host.config
    const socket = dgram.createSocket({ type: config.family === 6 ? 'udp6' : 'udp4' })
    this.#socket = socket
    this.#connectStart = performance.now()
    socket.on('message', (message) => this.#onMessage(message))
    socket.on('error', (error) => {
      if (socket !== this.#socket || this.#host.stopping) return
      const code = (error as NodeJS.ErrnoException).code
      this.#host.countError(code === 'ECONNREFUSED' ? 'connect' : 'other', describeError(error))
      if (!this.#up) {
        this.#socket = undefined
        socket.close()
        this.#host.connectionDown(this, false)
      }
    })
    socket.connect(config.port, config.address, () => {
      if (socket !== this.#socket) return
      const now = performance.now()
      this.#up = true
      this.#startFrame = (this.index * 7) % this.#frameCount
      this.#host.connectionUp(this, now - this.#connectStart)
      if (this.#host.stopping) return
      if (this.#host.messageInterval === 0) {
        this.#send(this.#host.config.pipeline, now)
      } else {
        if (this.#origin < 0) this.#origin = now + this.#phase
        this.tick(now)
      }
    })
  }

  /** Sends `count` datagrams stamped `time`, or each with its intended time when `time` is undefined. */
  #send(count: number, time: number | undefined): void {
    const socket = this.#socket as dgram.Socket
    if (this.#sent - this.#oldest + count > this.#times.length) this.#grow(this.#sent - this.#oldest + count)
    const { sendBuffer } = this.#host
    const frameLength = this.#frameLength
    const counters = this.#host.counters
    const interval = this.#host.messageInterval
    for (let index = 0; index < count; index++) {
      const seq = this.#sent
      const slot = seq & this.#mask
      this.#times[slot] = time ?? this.#origin + (this.#scheduled + index) * interval
      this.#pending[slot] = 1
      const offset = ((this.#startFrame + seq) % this.#frameCount) * frameLength
      socket.send(sendBuffer.subarray(offset, offset + frameLength))
      this.#sent++
    }
    this.#pendingCount += count
    counters.sent += count
    counters.bytesOut += count * frameLength
  }

  #grow(needed: number): void {
    const capacity = nextPowerOfTwo(needed * 2)
    const times = new Float64Array(capacity)
    const pending = new Uint8Array(capacity)
    for (let seq = this.#oldest; seq < this.#sent; seq++) {
      times[seq & (capacity - 1)] = this.#times[seq & this.#mask] as number
      pending[seq & (capacity - 1)] = this.#pending[seq & this.#mask] as number
    }
    this.#times = times
    this.#pending = pending
    this.#mask = capacity - 1
  }

  #onMessage(message: Buffer): void {
    if (!this.#up || this.#host.stopping) return
    const host = this.#host
    const now = performance.now()
    host.counters.bytesIn += message.length
    const format = host.replyFormat
    if (format !== undefined || !host.config.verify) {
      // request/reply (or unverified echo): each datagram answers the oldest message still pending
      const ok =
        format === undefined ||
        (format.frameEnd(message, 0, message.length) === message.length && format.matches(message, 0, message.length))
      this.#answerOldest(ok, now)
      return
    }
    const frameLength = this.#frameLength
    if (message.length === frameLength) {
      const { sendBuffer } = host
      // search the window of the ring: pending first match wins; a non-pending match is a late echo
      const lowest = Math.max(0, this.#sent - this.#times.length)
      for (let seq = this.#oldest; seq < this.#sent; seq++) {
        const slot = seq & this.#mask
        if (this.#pending[slot] !== 1) continue
        const offset = ((this.#startFrame + seq) % this.#frameCount) * frameLength
        if (message.compare(sendBuffer, offset, offset + frameLength) !== 0) continue
        this.#pending[slot] = 0
        this.#pendingCount--
        host.recorder.record((now - (this.#times[slot] as number)) * 1000)
        host.counters.messages++
        this.#advance()
        if (host.messageInterval === 0) this.#send(1, now)
        return
      }
      for (let seq = lowest; seq < this.#sent; seq++) {
        const offset = ((this.#startFrame + seq) % this.#frameCount) * frameLength
        if (message.compare(sendBuffer, offset, offset + frameLength) === 0) {
          host.counters.late++
          return
        }
      }
    }
    host.countError('mismatch', `connection ${this.index}: a ${message.length}-byte datagram matches no message sent`)
  }

  /** Request/reply mode: a reply came; it belongs to the oldest pending message (a late one when none is pending). */
  #answerOldest(ok: boolean, now: number): void {
    const host = this.#host
    if (this.#pendingCount === 0) {
      host.counters.late++
      return
    }
    while (this.#pending[this.#oldest & this.#mask] !== 1) this.#oldest++
    const slot = this.#oldest & this.#mask
    this.#pending[slot] = 0
    this.#pendingCount--
    if (ok) {
      host.recorder.record((now - (this.#times[slot] as number)) * 1000)
      host.counters.messages++
    } else {
      host.countError(
        'mismatch',
        `message ${this.#oldest} of connection ${this.index}: the reply is not ${host.replyDescription}`,
      )
    }
    this.#advance()
    if (host.messageInterval === 0) this.#send(1, now)
  }

  #advance(): void {
    while (this.#oldest < this.#sent && this.#pending[this.#oldest & this.#mask] !== 1) this.#oldest++
  }

  tick(now: number): void {
    if (!this.#up || this.#host.stopping) return
    const host = this.#host
    const timeoutMs = host.config.timeoutMs
    let expired = 0
    for (let seq = this.#oldest; seq < this.#sent; seq++) {
      const slot = seq & this.#mask
      if (this.#pending[slot] !== 1) continue
      if (now - (this.#times[slot] as number) <= timeoutMs) break
      this.#pending[slot] = 0
      expired++
    }
    if (expired > 0) {
      this.#pendingCount -= expired
      this.#advance()
      host.countError('timeout', `no echo within ${timeoutMs} ms`, expired)
      if (host.messageInterval === 0) this.#send(expired, now)
    }
    const interval = host.messageInterval
    if (interval === 0 || now < this.#origin) return
    const due = Math.floor((now - this.#origin) / interval) + 1
    if (due > this.#scheduled) {
      const count = Math.min(due - this.#scheduled, 4096)
      this.#send(count, undefined)
      this.#scheduled += count
    }
  }

  close(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    this.#up = false
    if (socket === undefined) return Promise.resolve()
    return new Promise((resolve) => socket.close(() => resolve()))
  }
}
