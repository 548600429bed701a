import net from 'node:net'
import tls from 'node:tls'
import { type ConnectionHost, type EngineConnection, nextPowerOfTwo } from './connection-host.js'
import { classifyError, describeError, type ErrorKind } from './error-kinds.js'
import { ReplyReader, type ReplySink } from './reply-reader.js'

/** A socket in the open model is not written to while this many bytes wait in its send buffer. */
const maxQueuedBytes = 1024 * 1024
/** Grace period of a polite close before the socket is destroyed. */
const closeGraceMs = 500

/**
 * One TCP or TLS connection of an engine. In echo mode the echo is verified as a byte stream: message `i` is complete
 * when `(i + 1) * frameLength` bytes have come back, and every byte is compared with the pattern as it arrives (no
 * response parsing). In request/reply mode a {@link ReplyReader} cuts the replies and checks each; reply `i` completes
 * message `i`. Reads land in the engine's shared buffer (`onread`), writes are slices of the shared pattern, and each
 * read triggers at most one write (the refills of every message it completed).
 */
export class StreamConnection implements EngineConnection {
  readonly index: number
  readonly #host: ConnectionHost
  readonly #frameLength: number
  readonly #patternLength: number
  readonly #frameCount: number
  readonly #onread: { buffer: Buffer; callback: (bytes: number, buffer: Uint8Array) => boolean }
  #socket: net.Socket | undefined
  #up = false
  #connectStart = 0
  #connectTimer: NodeJS.Timeout | undefined
  #attempts = 0
  /** Frame index (in the pattern) of message 0 of the current socket. */
  #startFrame = 0
  #sent = 0
  #done = 0
  #received = 0
  #times: Float64Array
  #mask: number
  #bad: Set<number> | undefined
  readonly #reader: ReplyReader | undefined
  readonly #sink: ReplySink
  /** Time of the read being handled (request/reply mode). */
  #now = 0
  /** Request/reply mode: the stream can no longer be trusted (too many replies, a reply that cannot be framed). */
  #broken: string | undefined
  /** Open model: messages scheduled so far (across reconnects) and the schedule origin. */
  #scheduled = 0
  #origin = -1
  readonly #phase: number

  constructor(host: ConnectionHost, index: number, phase: number) {
    this.#host = host
    this.index = index
    this.#phase = phase
    this.#frameLength = host.config.pattern.frameLength
    this.#patternLength = host.config.pattern.patternLength
    this.#frameCount = host.config.pattern.frameCount
    const capacity = nextPowerOfTwo(Math.max(16, host.config.pipeline))
    this.#times = new Float64Array(capacity)
    this.#mask = capacity - 1
    this.#reader = host.replyFormat === undefined ? undefined : new ReplyReader(host.replyFormat)
    this.#sink = {
      accepted: (count) => this.#accepted(count),
      rejected: () => this.#rejected(),
      broken: (reason) => {
        this.#broken ??= reason
      },
    }
    this.#onread = {
      buffer: host.readBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        this.#onData(buffer as Buffer, bytes)
        return true
      },
    }
  }

  get isOpen(): boolean {
    return this.#up
  }

  get inFlight(): number {
    return this.#up ? this.#sent - this.#done : 0
  }

  open(): void {
    const config = this.#host.config
    this.#connectStart = performance.now()
    this.#attempts++
    let socket: net.Socket
    if (config.transport === 'tls') {
      socket = tls.connect({
        host: config.address,
        port: config.port,
        ...(config.servername === undefined ? {} : { servername: config.servername }),
        rejectUnauthorized: !config.insecure,
        ...(config.ca === undefined ? {} : { ca: config.ca }),
        onread: this.#onread,
      } as tls.ConnectionOptions)
      socket.once('secureConnect', () => this.#onConnect(socket))
    } else {
      socket = net.connect({ host: config.address, port: config.port, onread: this.#onread, noDelay: true })
      socket.once('connect', () => this.#onConnect(socket))
    }
    this.#socket = socket
    socket.on('error', (error) => {
      if (socket === this.#socket) this.#lose(classifyError(error, this.#up), describeError(error))
    })
    socket.on('end', () => {
      if (socket === this.#socket) this.#lose('closedByServer', 'the server closed the connection')
    })
    socket.on('close', () => {
      if (socket === this.#socket) {
        this.#lose(this.#up ? 'closedByServer' : 'connect', 'the connection closed')
      }
    })
    this.#connectTimer = setTimeout(() => {
      if (socket === this.#socket && !this.#up) {
        this.#lose('connect', `connect timed out after ${config.connectTimeoutMs} ms`)
      }
    }, config.connectTimeoutMs)
  }

  #onConnect(socket: net.Socket): void {
    if (socket !== this.#socket) return
    clearTimeout(this.#connectTimer)
    const now = performance.now()
    this.#up = true
    socket.setNoDelay(true)
    this.#startFrame = (this.index * 7 + this.#attempts) % this.#frameCount
    this.#sent = 0
    this.#done = 0
    this.#received = 0
    this.#bad = undefined
    this.#broken = undefined
    this.#reader?.reset()
    this.#host.connectionUp(this, now - this.#connectStart)
    if (this.#host.stopping) return
    if (this.#host.messageInterval === 0) {
      this.#send(this.#host.config.pipeline, now)
    } else {
      if (this.#origin < 0) this.#origin = now + this.#phase
      this.tick(now)
    }
  }

  /** Writes `count` messages stamped `time` (closed model). */
  #send(count: number, time: number): void {
    const socket = this.#socket as net.Socket
    const { sendBuffer } = this.#host
    const frameLength = this.#frameLength
    const maxBatch = this.#host.config.pattern.maxBatchFrames
    const counters = this.#host.counters
    let left = count
    while (left > 0) {
      const batch = Math.min(left, maxBatch)
      const offset = ((this.#startFrame + this.#sent) % this.#frameCount) * frameLength
      for (let index = 0; index < batch; index++) this.#times[(this.#sent + index) & this.#mask] = time
      socket.write(sendBuffer.subarray(offset, offset + batch * frameLength))
      this.#sent += batch
      counters.sent += batch
      counters.bytesOut += batch * frameLength
      left -= batch
    }
  }

  tick(now: number): void {
    if (this.#host.stopping) return
    const timeoutMs = this.#host.config.timeoutMs
    if (this.#up && this.#done < this.#sent && now - (this.#times[this.#done & this.#mask] as number) > timeoutMs) {
      const outstanding = this.#sent - this.#done
      this.#host.countError('timeout', `no echo within ${timeoutMs} ms`, outstanding)
      this.#lose(undefined, '')
      return
    }
    const interval = this.#host.messageInterval
    if (interval === 0 || this.#origin < 0 || now < this.#origin) return
    const due = Math.floor((now - this.#origin) / interval) + 1
    // messages whose intended time is already older than the timeout are never sent: they count as timeouts
    const expired = Math.floor((now - timeoutMs - this.#origin) / interval) + 1
    if (expired > this.#scheduled) {
      this.#host.countError(
        'timeout',
        `could not send within ${timeoutMs} ms of the intended time`,
        expired - this.#scheduled,
      )
      this.#scheduled = expired
    }
    if (!this.#up || due <= this.#scheduled) return
    const socket = this.#socket as net.Socket
    if (socket.writableLength > maxQueuedBytes) return
    this.#sendScheduled(Math.min(due - this.#scheduled, 4096))
  }

  /** Open model: sends the next `count` scheduled messages, each stamped with its intended time. */
  #sendScheduled(count: number): void {
    const outstanding = this.#sent - this.#done
    if (outstanding + count > this.#times.length) this.#grow(outstanding + count)
    const interval = this.#host.messageInterval
    for (let index = 0; index < count; index++) {
      this.#times[(this.#sent + index) & this.#mask] = this.#origin + (this.#scheduled + index) * interval
    }
    this.#scheduled += count
    const socket = this.#socket as net.Socket
    const { sendBuffer } = this.#host
    const frameLength = this.#frameLength
    const maxBatch = this.#host.config.pattern.maxBatchFrames
    const counters = this.#host.counters
    let left = count
    if (count > maxBatch) socket.cork()
    while (left > 0) {
      const batch = Math.min(left, maxBatch)
      const offset = ((this.#startFrame + this.#sent) % this.#frameCount) * frameLength
      socket.write(sendBuffer.subarray(offset, offset + batch * frameLength))
      this.#sent += batch
      counters.sent += batch
      counters.bytesOut += batch * frameLength
      left -= batch
    }
    if (count > maxBatch) socket.uncork()
  }

  #grow(needed: number): void {
    const capacity = nextPowerOfTwo(needed * 2)
    const times = new Float64Array(capacity)
    for (let seq = this.#done; seq < this.#sent; seq++)
      times[seq & (capacity - 1)] = this.#times[seq & this.#mask] as number
    this.#times = times
    this.#mask = capacity - 1
  }

  #onData(buffer: Buffer, bytes: number): void {
    if (!this.#up || this.#host.stopping) return
    const host = this.#host
    if (this.#reader !== undefined) {
      host.counters.bytesIn += bytes
      const before = this.#done
      this.#now = performance.now()
      this.#reader.push(buffer, 0, bytes, this.#sink)
      if (this.#broken !== undefined) {
        host.countError('mismatch', `connection ${this.index}: ${this.#broken}`)
        this.#lose(undefined, '')
        return
      }
      const completed = this.#done - before
      if (completed > 0 && host.messageInterval === 0 && !host.stopping) this.#send(completed, this.#now)
      return
    }
    const frameLength = this.#frameLength
    if (this.#received + bytes > this.#sent * frameLength) {
      host.countError('mismatch', 'the server sent more bytes than it was sent')
      this.#lose(undefined, '')
      return
    }
    const now = performance.now()
    if (host.config.verify) {
      const window = host.sendBuffer.length - this.#patternLength
      for (let checked = 0; checked < bytes; checked += window) {
        const length = Math.min(window, bytes - checked)
        const offset = (this.#startFrame * frameLength + this.#received + checked) % this.#patternLength
        if (buffer.compare(host.sendBuffer, offset, offset + length, checked, checked + length) !== 0) {
          this.#findMismatches(buffer, checked, length, offset)
        }
      }
    }
    this.#received += bytes
    host.counters.bytesIn += bytes
    const done = Math.floor(this.#received / frameLength)
    if (done === this.#done) return
    const recorder = host.recorder
    const counters = host.counters
    const bad = this.#bad
    for (let seq = this.#done; seq < done; seq++) {
      if (bad?.delete(seq)) {
        host.countError('mismatch', `message ${seq} of connection ${this.index}: the echo differs from what was sent`)
        continue
      }
      recorder.record((now - (this.#times[seq & this.#mask] as number)) * 1000)
      counters.messages++
    }
    const completed = done - this.#done
    this.#done = done
    if (host.messageInterval === 0 && !host.stopping) this.#send(completed, now)
  }

  /** Request/reply mode: the next `count` replies matched. */
  #accepted(count: number): void {
    const allowed = Math.min(count, this.#sent - this.#done)
    const recorder = this.#host.recorder
    const now = this.#now
    const end = this.#done + allowed
    for (let seq = this.#done; seq < end; seq++)
      recorder.record((now - (this.#times[seq & this.#mask] as number)) * 1000)
    this.#host.counters.messages += allowed
    this.#done = end
    if (allowed < count) this.#broken ??= 'the server sent more replies than it was sent requests'
  }

  /** Request/reply mode: the next reply did not match. */
  #rejected(): void {
    if (this.#done >= this.#sent) {
      this.#broken ??= 'the server sent more replies than it was sent requests'
      return
    }
    const expected = this.#host.replyDescription
    this.#host.countError('mismatch', `message ${this.#done} of connection ${this.index}: the reply is not ${expected}`)
    this.#done++
  }

  /** Slow path after a failed compare: marks each message of the chunk whose bytes differ. */
  #findMismatches(buffer: Buffer, start: number, length: number, patternOffset: number): void {
    const frameLength = this.#frameLength
    const bad = this.#bad ?? new Set<number>()
    this.#bad = bad
    let position = this.#received + start
    const end = position + length
    while (position < end) {
      const seq = Math.floor(position / frameLength)
      const segmentEnd = Math.min((seq + 1) * frameLength, end)
      const from = position - this.#received
      const to = segmentEnd - this.#received
      const patternFrom = patternOffset + (from - start)
      if (buffer.compare(this.#host.sendBuffer, patternFrom, patternFrom + (to - from), from, to) !== 0) bad.add(seq)
      position = segmentEnd
    }
  }

  /** Drops the socket; counts `kind` unless undefined; asks the engine for a new attempt. */
  #lose(kind: ErrorKind | undefined, detail: string): void {
    const socket = this.#socket
    if (socket === undefined) return
    this.#socket = undefined
    clearTimeout(this.#connectTimer)
    const wasUp = this.#up
    this.#up = false
    socket.destroy()
    if (this.#host.stopping) return
    if (kind !== undefined) this.#host.countError(kind, detail)
    this.#host.connectionDown(this, wasUp)
  }

  close(): Promise<void> {
    const socket = this.#socket
    clearTimeout(this.#connectTimer)
    this.#up = false
    if (socket === undefined || socket.destroyed) {
      this.#socket = undefined
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), closeGraceMs)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.end()
    })
  }
}
