import { type EventLoopUtilization, performance } from 'node:perf_hooks'
import type { Histogram } from 'hdr-histogram-js'
import { type ConnectionHost, type EngineConnection, EngineCounters } from './connection-host.js'
import { DatagramConnection } from './datagram-connection.js'
import type { EngineCommand, EngineConfig, EngineEvent } from './engine-protocol.js'
import type { ErrorKind } from './error-kinds.js'
import { createHistogram, encodeHistogram } from './histogram.js'
import { LatencyRecorder } from './latency-recorder.js'
import { describeReplyExpectation } from './reply-expectation.js'
import { ReplyFormat } from './reply-reader.js'
import { StreamConnection } from './stream-connection.js'
import { readThreadCpuMs } from './thread-cpu.js'

const readBufferSize = 64 * 1024
const maxBackoffMs = 2000
const firstBackoffMs = 50

/**
 * Runs one thread's share of a load test: opens its connections (at the configured connect rate, re-opening
 * lost ones with a back-off), drives them in the closed or open model, and reports per-second samples and a
 * final result through `emit`. Controlled by {@link LoadEngine.handle}: `start` (connect), `measure` (zero the
 * counters and start sampling), `stop` (report, then close every connection).
 */
export class LoadEngine implements ConnectionHost {
  readonly config: EngineConfig
  readonly sendBuffer: Buffer
  readonly readBuffer: Buffer = Buffer.allocUnsafeSlow(readBufferSize)
  readonly recorder = new LatencyRecorder()
  readonly counters = new EngineCounters()
  readonly messageInterval: number
  readonly replyFormat: ReplyFormat | undefined
  readonly replyDescription: string
  readonly #emit: (event: EngineEvent) => void
  readonly #connections: EngineConnection[] = []
  readonly #interval: Histogram = createHistogram()
  readonly #total: Histogram = createHistogram()
  readonly #connect: Histogram = createHistogram()
  readonly #firstErrors: Partial<Record<ErrorKind, string>> = {}
  readonly #backoff = new Map<EngineConnection, number>()
  readonly #queue: EngineConnection[] = []
  #stopping = false
  readonly #settled = new Set<EngineConnection>()
  #initialFailed = 0
  #initialFirstError: string | undefined
  #connectsSucceeded = 0
  #tickTimer: NodeJS.Timeout | undefined
  #sampleTimer: NodeJS.Timeout | undefined
  #pumpTimer: NodeJS.Timeout | undefined
  #pumpCredit = 0
  #pumpLast = 0
  #sampleIndex = 0
  #sampleStart = 0
  #sampleBase = { messages: 0, sent: 0, bytesIn: 0, bytesOut: 0, errors: 0 }
  #measureStart = 0
  /** What the sample timer is sampling: nothing yet, the warm-up (progress only) or the measurement. */
  #sampling: 'none' | 'warmup' | 'measure' = 'none'
  #inFlightAtStart = 0
  #measureCpu: number | undefined
  #measureElu: EventLoopUtilization | undefined
  #errorTotal = 0

  constructor(config: EngineConfig, emit: (event: EngineEvent) => void) {
    this.config = config
    this.#emit = emit
    const { sendBuffer } = config.pattern
    this.sendBuffer = Buffer.isBuffer(sendBuffer)
      ? sendBuffer
      : Buffer.from(sendBuffer.buffer, sendBuffer.byteOffset, sendBuffer.byteLength)
    this.replyFormat =
      config.reply === undefined ? undefined : new ReplyFormat(config.framing, config.reply, config.pattern.frameLength)
    this.replyDescription = config.reply === undefined ? '' : describeReplyExpectation(config.reply)
    const perConnectionRate = config.rate > 0 ? config.rate / config.connections : 0
    this.messageInterval = perConnectionRate > 0 ? 1000 / perConnectionRate : 0
    for (let local = 0; local < config.connections; local++) {
      const index = config.firstConnection + local
      const phase = this.messageInterval * (local / config.connections)
      this.#connections.push(
        config.transport === 'udp'
          ? new DatagramConnection(this, index, phase)
          : new StreamConnection(this, index, phase),
      )
    }
  }

  get stopping(): boolean {
    return this.#stopping
  }

  /**
   * Applies a command from the coordinator.
   *
   * @param command - `start`, `warmup`, `measure` or `stop`
   */
  handle(command: EngineCommand): void {
    if (command.type === 'start') this.#start()
    else if (command.type === 'warmup') this.#beginSampling('warmup')
    else if (command.type === 'measure') this.#beginSampling('measure')
    else void this.#stop()
  }

  #start(): void {
    this.#pumpCredit = 1
    this.#pumpLast = performance.now()
    for (const connection of this.#connections) this.#enqueue(connection)
    const tickMs = this.messageInterval > 0 ? 1 : Math.max(5, Math.min(100, this.config.timeoutMs / 4))
    this.#tickTimer = setInterval(() => {
      const now = performance.now()
      for (const connection of this.#connections) connection.tick(now)
    }, tickMs)
    if (this.config.connections === 0) this.#emitConnected()
  }

  #enqueue(connection: EngineConnection): void {
    if (this.config.connectRate <= 0) {
      connection.open()
      return
    }
    this.#queue.push(connection)
    if (this.#pumpTimer === undefined) this.#pump()
  }

  /** Opens queued connections at the connect rate (token bucket holding at most 10 ms worth, at least 1). */
  #pump(): void {
    this.#pumpTimer = undefined
    if (this.#stopping) return
    const now = performance.now()
    const rate = this.config.connectRate
    this.#pumpCredit = Math.min(Math.max(1, rate / 100), this.#pumpCredit + ((now - this.#pumpLast) * rate) / 1000)
    this.#pumpLast = now
    while (this.#pumpCredit >= 1 && this.#queue.length > 0) {
      this.#pumpCredit -= 1
      ;(this.#queue.shift() as EngineConnection).open()
    }
    if (this.#queue.length > 0) {
      this.#pumpTimer = setTimeout(() => this.#pump(), Math.max(1, Math.ceil(((1 - this.#pumpCredit) * 1000) / rate)))
    }
  }

  connectionUp(connection: EngineConnection, connectMs: number): void {
    this.#connect.recordValue(Math.max(0, Math.round(connectMs * 1000)))
    this.#connectsSucceeded++
    this.#backoff.delete(connection)
    this.#settle(connection, false)
  }

  /** Counts the first attempt of each connection towards the end of the connect phase. */
  #settle(connection: EngineConnection, failed: boolean): void {
    if (this.#settled.has(connection)) return
    this.#settled.add(connection)
    if (failed) this.#initialFailed++
    if (this.#settled.size === this.#connections.length) this.#emitConnected()
  }

  connectionDown(connection: EngineConnection, wasUp: boolean): void {
    if (this.#stopping) return
    if (!wasUp) this.#settle(connection, true)
    let delay = 0
    if (wasUp) {
      this.#backoff.delete(connection)
    } else {
      delay = this.#backoff.get(connection) ?? firstBackoffMs
      this.#backoff.set(connection, Math.min(maxBackoffMs, delay * 2))
    }
    if (delay === 0) this.#enqueue(connection)
    else setTimeout(() => this.#stopping || this.#enqueue(connection), delay).unref()
  }

  countError(kind: ErrorKind, detail: string, count = 1): void {
    if (this.#stopping) return
    this.counters.errors[kind] += count
    this.#errorTotal += count
    if (this.#firstErrors[kind] === undefined) this.#firstErrors[kind] = detail
    if (kind === 'connect' && this.#initialFirstError === undefined) this.#initialFirstError = detail
  }

  #emitConnected(): void {
    this.#emit({
      type: 'connected',
      workerIndex: this.config.workerIndex,
      open: this.#openCount(),
      failed: this.#initialFailed,
      firstError: this.#initialFirstError,
    })
  }

  #openCount(): number {
    let open = 0
    for (const connection of this.#connections) if (connection.isOpen) open++
    return open
  }

  /**
   * Zeroes the counters and starts the per-period samples: of the warm-up (shown as progress, then thrown away) or
   * of the measurement.
   */
  #beginSampling(phase: 'warmup' | 'measure'): void {
    clearInterval(this.#sampleTimer)
    // connect errors of the connect phase stay in the report; everything else starts from zero
    const connectErrors = this.counters.errors.connect
    this.counters.reset()
    this.counters.errors.connect = connectErrors
    this.#errorTotal = 0
    for (const key of Object.keys(this.#firstErrors)) {
      if (key !== 'connect') delete this.#firstErrors[key as ErrorKind]
    }
    this.recorder.clear()
    this.#interval.reset()
    this.#total.reset()
    this.#sampling = phase
    this.#measureStart = performance.now()
    if (phase === 'measure') {
      this.#measureCpu = readThreadCpuMs()
      this.#measureElu = performance.eventLoopUtilization()
      let inFlight = 0
      for (const connection of this.#connections) inFlight += connection.inFlight
      this.#inFlightAtStart = inFlight
    }
    this.#sampleIndex = 0
    this.#sampleStart = this.#measureStart
    this.#sampleBase = { messages: 0, sent: 0, bytesIn: 0, bytesOut: 0, errors: 0 }
    this.#sampleTimer = setInterval(() => this.#sample(performance.now()), this.config.sampleIntervalMs)
  }

  #sample(now: number): void {
    const counters = this.counters
    this.recorder.drainInto(this.#interval)
    const histogram = encodeHistogram(this.#interval)
    this.#total.add(this.#interval)
    this.#interval.reset()
    const base = this.#sampleBase
    this.#emit({
      type: 'sample',
      workerIndex: this.config.workerIndex,
      phase: this.#sampling === 'warmup' ? 'warmup' : 'measure',
      index: this.#sampleIndex++,
      durationMs: now - this.#sampleStart,
      messages: counters.messages - base.messages,
      sent: counters.sent - base.sent,
      bytesIn: counters.bytesIn - base.bytesIn,
      bytesOut: counters.bytesOut - base.bytesOut,
      errors: this.#errorTotal - base.errors,
      open: this.#openCount(),
      histogram,
    })
    this.#sampleStart = now
    this.#sampleBase = {
      messages: counters.messages,
      sent: counters.sent,
      bytesIn: counters.bytesIn,
      bytesOut: counters.bytesOut,
      errors: this.#errorTotal,
    }
  }

  async #stop(): Promise<void> {
    if (this.#stopping) return
    const now = performance.now()
    clearInterval(this.#sampleTimer)
    clearInterval(this.#tickTimer)
    clearTimeout(this.#pumpTimer)
    const measured = this.#sampling === 'measure'
    if (measured && now - this.#sampleStart >= 1) this.#sample(now)
    this.#stopping = true
    let inFlight = 0
    for (const connection of this.#connections) inFlight += connection.inFlight
    const cpuEnd = readThreadCpuMs()
    const elu = this.#measureElu === undefined ? undefined : performance.eventLoopUtilization(this.#measureElu)
    const counters = this.counters
    this.#emit({
      type: 'result',
      workerIndex: this.config.workerIndex,
      connections: this.config.connections,
      messages: counters.messages,
      sent: counters.sent,
      bytesIn: counters.bytesIn,
      bytesOut: counters.bytesOut,
      errors: { ...counters.errors },
      firstErrors: { ...this.#firstErrors },
      latency: encodeHistogram(this.#total),
      connect: encodeHistogram(this.#connect),
      connectsSucceeded: this.#connectsSucceeded,
      openAtEnd: this.#openCount(),
      inFlightAtStart: measured ? this.#inFlightAtStart : 0,
      inFlightAtEnd: inFlight,
      late: counters.late,
      wallMs: measured ? now - this.#measureStart : 0,
      threadCpuMs: cpuEnd !== undefined && this.#measureCpu !== undefined ? cpuEnd - this.#measureCpu : undefined,
      eventLoopUtilization: elu?.utilization ?? 0,
    })
    await Promise.all(this.#connections.map((connection) => connection.close()))
    this.#emit({ type: 'closed', workerIndex: this.config.workerIndex })
  }
}
