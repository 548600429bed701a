import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import type { Histogram } from 'hdr-histogram-js'
import packageJson from '../package.json' with { type: 'json' }
import { createLocalLink, createWorkerLink, type EngineLink } from './engine-link.js'
import type { EngineConfig, EngineEvent, EngineResult, EngineSample } from './engine-protocol.js'
import { type ErrorKind, emptyErrorCounts, errorKinds, totalErrors } from './error-kinds.js'
import { formatEscapes } from './escapes.js'
import type { Framing } from './framing.js'
import {
  createHistogram,
  encodeHistogram,
  mergeHistograms,
  percentileSpectrum,
  summarizeHistogram,
} from './histogram.js'
import { LoadOptionError } from './load-option-error.js'
import { type LoadOptions, maxDatagramBytes, type ResolvedLoadOptions, resolveLoadOptions } from './load-options.js'
import type { LoadProgress, LoadReport, LoadSample, WorkerCpu } from './load-report.js'
import { buildMessagePattern, type MessagePattern } from './message-pattern.js'
import { describeReplyExpectation } from './reply-expectation.js'
import { formatTarget } from './target.js'
import { evaluateThresholds } from './thresholds.js'

const mib = 1024 * 1024
/**
 * A load thread this busy (event loop utilization, or CPU as a share of one core) makes the report warn that the
 * tester may be the bottleneck.
 */
export const testerBoundLimit = 0.9

/**
 * Runs a load test and resolves with its report. Connects first (the connect phase is not measured), applies
 * load for the warm-up (not measured), then measures for the duration, then closes every connection.
 *
 * @param options - target, load model, message and framing, limits
 * @returns the report (what `socketlite-load --json` prints)
 * @throws {@link LoadOptionError} for bad options or a target host that does not resolve
 *
 * @example
 * ```ts
 * const report = await runLoad({ target: 'tcp://127.0.0.1:7000', connections: 50, pipeline: 16, duration: 5000 })
 * console.log(report.results.messagesPerSecond, report.results.latencyMs.p99)
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const resolved = resolveLoadOptions(options)
  const startedAt = new Date().toISOString()
  const { address, family } = await resolveHost(resolved.target.host)
  const pattern = buildMessagePattern({
    message: resolved.message,
    size: resolved.size,
    framing: resolved.framing,
    variants: Math.max(16, resolved.pipeline),
    maxBatchFrames: resolved.model === 'closed' ? resolved.pipeline : 64,
  })
  if (resolved.target.transport === 'udp' && pattern.frameLength > maxDatagramBytes) {
    throw new LoadOptionError('size', `a ${pattern.frameLength}-byte frame does not fit in one UDP datagram`)
  }
  const run = new Coordinator(resolved, pattern, address, family, options.onProgress)
  return run.execute(startedAt, options.signal)
}

async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  try {
    const found = await lookup(host)
    return { address: found.address, family: found.family === 6 ? 6 : 4 }
  } catch (error) {
    throw new LoadOptionError('target', `cannot resolve "${host}": ${(error as Error).message}`, 'ERR_INVALID_TARGET')
  }
}

/** Drives the engines through the phases and merges what they report. */
class Coordinator {
  readonly #options: ResolvedLoadOptions
  readonly #pattern: MessagePattern
  readonly #address: string
  readonly #family: 4 | 6
  readonly #onProgress: ((progress: LoadProgress) => void) | undefined
  readonly #links: EngineLink[] = []
  readonly #configs: EngineConfig[] = []
  readonly #pendingSamples = new Map<number, EngineSample[]>()
  readonly #samples: LoadSample[] = []
  readonly #results: EngineResult[] = []
  readonly #live: Histogram = createHistogram()
  /** Merged latency histograms of the last samples (encoded), to fold a short last sample into the one before. */
  readonly #sampleHistograms = new Map<number, string>()
  #liveErrors = 0
  #phaseStart = 0
  /** msgs/s of the last full-length sample of this phase; null before the first. */
  #lastRate: number | null = null
  #lastOpen = 0
  #phase: LoadProgress['phase'] = 'connecting'
  #measureStart = 0
  readonly #waiters = new Set<() => void>()
  readonly #seen = new Map<string, number>()
  #fatal: string | undefined
  #connectedOpen = 0
  #connectedFirstError: string | undefined

  constructor(
    options: ResolvedLoadOptions,
    pattern: MessagePattern,
    address: string,
    family: 4 | 6,
    onProgress: ((progress: LoadProgress) => void) | undefined,
  ) {
    this.#options = options
    this.#pattern = pattern
    this.#address = address
    this.#family = family
    this.#onProgress = onProgress
  }

  async execute(startedAt: string, signal: AbortSignal | undefined): Promise<LoadReport> {
    const options = this.#options
    const workers = options.workers
    let first = 0
    for (let worker = 0; worker < workers; worker++) {
      const connections = Math.floor(options.connections / workers) + (worker < options.connections % workers ? 1 : 0)
      const share = connections / options.connections
      this.#configs.push({
        workerIndex: worker,
        transport: options.target.transport,
        address: this.#address,
        port: options.target.port,
        family: this.#family,
        servername: options.servername ?? (isIP(options.target.host) !== 0 ? undefined : options.target.host),
        insecure: options.insecure,
        ca: options.ca,
        connections,
        firstConnection: first,
        connectRate: options.connectRate * share,
        connectTimeoutMs: options.connectTimeout,
        pipeline: options.pipeline,
        rate: (options.rate ?? 0) * share,
        timeoutMs: options.timeout,
        pattern: this.#pattern,
        framing: options.framing,
        verify: options.verify,
        reply: options.reply,
        sampleIntervalMs: options.sampleInterval,
      })
      first += connections
    }
    const onEvent = (event: EngineEvent): void => this.#onEvent(event)
    try {
      for (const config of this.#configs) {
        this.#links.push(workers === 1 ? createLocalLink(config, onEvent) : createWorkerLink(config, onEvent))
      }
      const aborted = (): boolean => signal?.aborted === true || this.#fatal !== undefined
      this.#progress()
      this.#broadcast({ type: 'start' })
      await this.#waitFor('connected', signal)
      const nobody = this.#connectedOpen === 0
      let measuredMs = 0
      let cpuStart = process.cpuUsage()
      if (!aborted() && !nobody) {
        if (options.warmup > 0) {
          this.#startPhase('warmup')
          this.#broadcast({ type: 'warmup' })
          const ticker = setInterval(() => this.#progress(), 250)
          try {
            await delay(options.warmup, signal)
          } finally {
            clearInterval(ticker)
          }
        }
        if (!aborted()) {
          this.#startPhase('running')
          this.#broadcast({ type: 'measure' })
          this.#measureStart = this.#phaseStart
          cpuStart = process.cpuUsage()
          this.#progress()
          const ticker = setInterval(() => this.#progress(), 250)
          try {
            await delay(options.duration, signal)
          } finally {
            clearInterval(ticker)
          }
          measuredMs = performance.now() - this.#measureStart
        }
      }
      const cpu = process.cpuUsage(cpuStart)
      this.#broadcast({ type: 'stop' })
      await this.#waitFor('result', undefined)
      const closeWait = new AbortController()
      const closeTimer = setTimeout(() => closeWait.abort(), 2000)
      await this.#waitFor('closed', closeWait.signal)
      clearTimeout(closeTimer)
      this.#flushSamples()
      this.#phase = 'done'
      this.#progress()
      if (this.#fatal !== undefined) throw new Error(`a load worker failed: ${this.#fatal}`)
      return this.#report(startedAt, measuredMs, cpu, signal?.aborted === true, nobody)
    } finally {
      await Promise.all(this.#links.map((link) => link.dispose()))
    }
  }

  /** The live figures start over with each phase (the warm-up's are shown, never reported). */
  #startPhase(phase: 'warmup' | 'running'): void {
    this.#phase = phase
    this.#phaseStart = performance.now()
    this.#pendingSamples.clear()
    this.#live.reset()
    this.#liveErrors = 0
    this.#lastRate = null
    this.#progress()
  }

  #broadcast(command: Parameters<EngineLink['send']>[0]): void {
    for (const link of this.#links) link.send(command)
  }

  /** Resolves once every engine has sent an event of `type` (or on abort, or when an engine failed). */
  #waitFor(type: EngineEvent['type'], signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if ((this.#seen.get(type) ?? 0) < this.#links.length && this.#fatal === undefined && !signal?.aborted) return
        this.#waiters.delete(check)
        signal?.removeEventListener('abort', check)
        resolve()
      }
      this.#waiters.add(check)
      signal?.addEventListener('abort', check, { once: true })
      check()
    })
  }

  #onEvent(event: EngineEvent): void {
    this.#seen.set(event.type, (this.#seen.get(event.type) ?? 0) + 1)
    if (event.type === 'connected') {
      this.#connectedOpen += event.open
      this.#connectedFirstError ??= event.firstError
    } else if (event.type === 'sample') {
      this.#onSample(event)
    } else if (event.type === 'result') {
      this.#results.push(event)
    } else if (event.type === 'fatal') {
      this.#fatal ??= event.message
    }
    for (const waiter of [...this.#waiters]) waiter()
  }

  #onSample(sample: EngineSample): void {
    if ((sample.phase === 'warmup') !== (this.#phase === 'warmup')) return
    const parts = this.#pendingSamples.get(sample.index) ?? []
    parts.push(sample)
    this.#pendingSamples.set(sample.index, parts)
    if (parts.length === this.#links.length) {
      this.#pendingSamples.delete(sample.index)
      this.#mergeSample(sample.index, parts)
    }
  }

  #flushSamples(): void {
    for (const [index, parts] of [...this.#pendingSamples].sort((a, b) => a[0] - b[0])) {
      if (parts[0]?.phase === 'measure') this.#mergeSample(index, parts)
    }
    this.#pendingSamples.clear()
    this.#samples.sort((a, b) => a.index - b.index)
    this.#foldShortLastSample()
  }

  /**
   * The last sample ends when the run stops, often a few milliseconds after the one before: on its own it would
   * show a rate and a p99 from a handful of messages. When it is shorter than half a period it is added to the sample
   * before it (counts and histograms added, rates over the combined time).
   */
  #foldShortLastSample(): void {
    const last = this.#samples.at(-1)
    const previous = this.#samples.at(-2)
    if (last === undefined || previous === undefined || last.durationMs >= this.#options.sampleInterval / 2) return
    const histogram = mergeHistograms(
      [this.#sampleHistograms.get(previous.index), this.#sampleHistograms.get(last.index)].filter(
        (encoded): encoded is string => encoded !== undefined,
      ),
    )
    const summary = summarizeHistogram(histogram)
    histogram.destroy()
    const durationMs = previous.durationMs + last.durationMs
    const seconds = durationMs / 1000
    const messages = previous.messages + last.messages
    const perSecond = (a: number, b: number, digits: number): number =>
      round((a * previous.durationMs + b * last.durationMs) / durationMs, digits)
    this.#samples.splice(-2, 2, {
      index: previous.index,
      startMs: previous.startMs,
      durationMs: round(durationMs, 1),
      messages,
      messagesPerSecond: round(seconds > 0 ? messages / seconds : 0, 1),
      mibPerSecondIn: perSecond(previous.mibPerSecondIn, last.mibPerSecondIn, 3),
      mibPerSecondOut: perSecond(previous.mibPerSecondOut, last.mibPerSecondOut, 3),
      errors: previous.errors + last.errors,
      open: last.open,
      p50Ms: summary.p50,
      p99Ms: summary.p99,
      maxMs: summary.max,
    })
  }

  #mergeSample(index: number, parts: readonly EngineSample[]): void {
    const histogram = mergeHistograms(parts.map((part) => part.histogram))
    this.#live.add(histogram)
    const warmup = parts[0]?.phase === 'warmup'
    const summary = summarizeHistogram(histogram)
    if (!warmup) {
      this.#sampleHistograms.set(index, encodeHistogram(histogram))
      this.#sampleHistograms.delete(index - 2)
    }
    histogram.destroy()
    const durationMs = Math.max(...parts.map((part) => part.durationMs))
    const sum = (pick: (part: EngineSample) => number): number => parts.reduce((total, part) => total + pick(part), 0)
    const messages = sum((part) => part.messages)
    const seconds = durationMs / 1000
    const errors = sum((part) => part.errors)
    this.#liveErrors += errors
    const rate = seconds > 0 ? messages / seconds : 0
    // a short last sample (the run stopping between two ticks) would show a fake drop: keep the last full one
    if (durationMs >= this.#options.sampleInterval / 2 || this.#lastRate === null) this.#lastRate = rate
    this.#lastOpen = sum((part) => part.open)
    if (warmup) {
      this.#progress()
      return
    }
    const startMs = this.#samples.reduce((total, entry) => (entry.index < index ? total + entry.durationMs : total), 0)
    this.#samples.push({
      index,
      startMs: round(startMs, 1),
      durationMs: round(durationMs, 1),
      messages,
      messagesPerSecond: round(rate, 1),
      mibPerSecondIn: round(seconds > 0 ? sum((part) => part.bytesIn) / mib / seconds : 0, 3),
      mibPerSecondOut: round(seconds > 0 ? sum((part) => part.bytesOut) / mib / seconds : 0, 3),
      errors,
      open: this.#lastOpen,
      p50Ms: summary.p50,
      p99Ms: summary.p99,
      maxMs: summary.max,
    })
    this.#progress()
  }

  #progress(): void {
    if (this.#onProgress === undefined) return
    const phase = this.#phase
    const phaseDuration = phase === 'warmup' ? this.#options.warmup : this.#options.duration
    this.#onProgress({
      phase,
      elapsedMs:
        phase === 'warmup' || (this.#measureStart > 0 && (phase === 'running' || phase === 'done'))
          ? Math.min(phaseDuration, performance.now() - this.#phaseStart)
          : 0,
      durationMs: phaseDuration,
      messagesPerSecond: this.#lastRate,
      p99Ms: this.#live.totalCount === 0 ? null : this.#live.getValueAtPercentile(99) / 1000,
      errors: this.#liveErrors,
      open: this.#phase === 'connecting' ? this.#connectedOpen : this.#lastOpen || this.#connectedOpen,
      connections: this.#options.connections,
    })
  }

  #report(startedAt: string, measuredMs: number, cpu: NodeJS.CpuUsage, aborted: boolean, nobody: boolean): LoadReport {
    const options = this.#options
    const results = [...this.#results].sort((a, b) => a.workerIndex - b.workerIndex)
    const latency = mergeHistograms(results.map((result) => result.latency))
    const connect = mergeHistograms(results.map((result) => result.connect))
    const errors = emptyErrorCounts()
    const errorDetails: Partial<Record<ErrorKind, string>> = {}
    for (const result of results) {
      for (const kind of errorKinds) {
        errors[kind] += result.errors[kind]
        const detail = result.firstErrors[kind]
        if (errorDetails[kind] === undefined && detail !== undefined) errorDetails[kind] = detail
      }
    }
    if (nobody && errors.connect === 0) {
      errors.connect = options.connections
      errorDetails.connect ??= this.#connectedFirstError ?? 'no connection could be made'
    }
    const sum = (pick: (result: EngineResult) => number): number => results.reduce((total, r) => total + pick(r), 0)
    const seconds = measuredMs / 1000
    const messages = sum((result) => result.messages)
    const bytesIn = sum((result) => result.bytesIn)
    const bytesOut = sum((result) => result.bytesOut)
    const messagesPerSecond = seconds > 0 ? round(messages / seconds, 1) : 0
    const latencyMs = summarizeHistogram(latency)
    const total = totalErrors(errors)
    const workers: WorkerCpu[] = results.map((result) => ({
      worker: result.workerIndex,
      connections: result.connections,
      cpuPercent:
        result.threadCpuMs === undefined || result.wallMs <= 0
          ? null
          : round((100 * result.threadCpuMs) / result.wallMs, 1),
      eventLoopUtilization: round(result.eventLoopUtilization, 3),
    }))
    const testerBound = workers.some(
      (worker) =>
        worker.eventLoopUtilization >= testerBoundLimit ||
        (worker.cpuPercent !== null && worker.cpuPercent >= testerBoundLimit * 100),
    )
    const checks = evaluateThresholds(
      { p99Ms: latencyMs.p99, messagesPerSecond, errors: total, messages },
      options.thresholds,
    )
    const report: LoadReport = {
      tool: 'socketlite-load',
      versions: {
        socketliteLoad: packageJson.version,
        node: process.versions.node,
        v8: process.versions.v8,
        platform: process.platform,
        arch: process.arch,
      },
      startedAt,
      aborted,
      config: {
        target: formatTarget(options.target),
        transport: options.target.transport,
        host: options.target.host,
        port: options.target.port,
        address: this.#address,
        connections: options.connections,
        connectRate: options.connectRate,
        connectTimeoutMs: options.connectTimeout,
        durationMs: options.duration,
        warmupMs: options.warmup,
        model: options.model,
        pipeline: options.model === 'closed' ? options.pipeline : null,
        rate: options.rate ?? null,
        protocol: options.framing.protocol,
        framing: framingForReport(options.framing),
        mode: options.reply === undefined ? 'echo' : 'request-reply',
        expect: options.reply === undefined ? null : describeReplyExpectation(options.reply),
        verify: options.verify,
        messageBytes: this.#pattern.frameLength,
        payloadBytes: options.message?.length ?? options.size,
        distinctMessages: this.#pattern.frameCount,
        timeoutMs: options.timeout,
        sampleIntervalMs: options.sampleInterval,
        workers: options.workers,
        tls:
          options.target.transport === 'tls'
            ? { insecure: options.insecure, servername: options.servername ?? null, ca: options.ca !== undefined }
            : null,
      },
      results: {
        durationMs: round(measuredMs, 1),
        messages,
        sent: sum((result) => result.sent),
        messagesPerSecond,
        bytesIn,
        bytesOut,
        mibPerSecondIn: seconds > 0 ? round(bytesIn / mib / seconds, 3) : 0,
        mibPerSecondOut: seconds > 0 ? round(bytesOut / mib / seconds, 3) : 0,
        rateAchieved: options.rate === undefined ? null : round(messagesPerSecond / options.rate, 3),
        latencyMs,
        latencySpectrum: percentileSpectrum(latency),
        latencyHistogram: encodeHistogram(latency),
        connectMs: summarizeHistogram(connect),
        connections: {
          requested: options.connections,
          openAtEnd: sum((result) => result.openAtEnd),
          connects: sum((result) => result.connectsSucceeded),
        },
        inFlightAtStart: sum((result) => result.inFlightAtStart),
        inFlightAtEnd: sum((result) => result.inFlightAtEnd),
        late: sum((result) => result.late),
        samples: this.#samples,
      },
      errors: { ...errors, total },
      errorDetails,
      cpu: {
        processPercent: measuredMs > 0 ? round((100 * (cpu.user + cpu.system)) / 1000 / measuredMs, 1) : 0,
        userMs: round(cpu.user / 1000, 1),
        systemMs: round(cpu.system / 1000, 1),
        wallMs: round(measuredMs, 1),
        cores: availableParallelism(),
        workers,
        testerBound,
      },
      thresholds: { passed: checks.every((check) => check.passed), checks },
    }
    latency.destroy()
    connect.destroy()
    return report
  }
}

function framingForReport(framing: Framing): Record<string, string | number> {
  switch (framing.protocol) {
    case 'line':
      return { terminator: '\\r\\n' }
    case 'terminator':
      return { terminator: formatEscapes(framing.terminator) }
    case 'length-field':
      return {
        lengthFieldOffset: framing.lengthFieldOffset,
        lengthFieldLength: framing.lengthFieldLength,
        byteOrder: framing.byteOrder,
        lengthAdjustment: framing.lengthAdjustment,
      }
    case 'begin-end':
      return { beginMark: formatEscapes(framing.beginMark), endMark: formatEscapes(framing.endMark) }
    case 'count-spliter':
      return { spliter: formatEscapes(Uint8Array.of(framing.spliter)), count: framing.count }
    default:
      return {}
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve()
      return
    }
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
