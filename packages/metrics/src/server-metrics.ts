import diagnosticsChannel from 'node:diagnostics_channel'
import {
  type AppServer,
  type AppSession,
  type CloseReason,
  closeReasonName,
  InvalidArgumentError,
  type ListenerInfo,
  type RequestHandledMessage,
  requestHandledChannelName,
  type ServerStats,
} from '@socketlite/app-server'
import { Counter, Gauge, Registry } from 'prom-client'
import { HandlerDurationHistogram } from './handler-duration-histogram.js'
import { listenerLabel } from './listener-label.js'
import { type StatMetric, type StatSample, statMetrics } from './stat-metrics.js'

/** Options of {@link createServerMetrics}. */
export interface ServerMetricsOptions {
  /**
   * The prom-client registry to register the metrics in (e.g. prom-client's global `register`, to expose them beside
   * `collectDefaultMetrics()`).
   * @default a new `Registry`
   */
  readonly registry?: Registry
  /**
   * Put in front of every metric name. Two servers can share a registry with different prefixes.
   * @default 'socketlite_'
   */
  readonly prefix?: string
  /**
   * Upper bounds, in seconds, of the handler latency histogram's buckets.
   * @default [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  readonly handlerDurationBuckets?: readonly number[]
  /**
   * Measure request handlers (`handler_duration_seconds`, `handler_errors_total`). This is the one part with a cost
   * per request (the server reads the clock around each handler and publishes a message, see the README for the
   * measured cost); `false` leaves it out, and then the server pays nothing per request.
   * @default true
   */
  readonly handlerDuration?: boolean
}

/** What {@link createServerMetrics} returns. */
export interface ServerMetrics {
  /** The registry the metrics are registered in: `await registry.metrics()` is the text to serve. */
  readonly registry: Registry
  /** The full names of the metrics this made (prefix included). */
  readonly names: readonly string[]
  /**
   * Stop measuring: remove the server listeners and the diagnostics channel subscription, and unregister the
   * metrics from the registry. Calling it again does nothing.
   */
  close(): void
}

/** The default buckets of the handler latency histogram, in seconds: 100 µs to 10 s. */
export const defaultHandlerDurationBuckets: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

/**
 * Export the statistics of `server` as Prometheus metrics (prom-client), per listener where the server knows it:
 *
 * - from the server's events, per `listener` (`tcp://127.0.0.1:2020`, …, `outbound` for `activeConnect`):
 *   `connections_accepted_total`, `sessions_closed_total` (also by `reason`, a close reason name);
 * - from its sessions when scraped, per `listener`: `sessions`, `send_queue_bytes`, `receive_buffered_bytes`;
 * - from `server.getStats()` when scraped (server-wide): `connections_rejected_total` (by `cause`), `requests_total`,
 *   `received_bytes_total`, `sent_bytes_total`, `try_send_refused_total`, `send_timeouts_total`,
 *   `listener_errors_total`, `datagrams_dropped_total`, `datagram_errors_total`, the `send_pool_*` gauges;
 * - from the request-handled diagnostics channel, per `listener`: `handler_duration_seconds` (a histogram; its
 *   `_count` is the requests handled per listener) and `handler_errors_total`.
 *
 * The server pays nothing for metrics nobody made, and little for these: counts are read when the registry is
 * scraped, and two event listeners count sessions as they come and go. Make the metrics before `server.start()` so
 * that the event-counted metrics see every session (they count from the moment they were made).
 *
 * @example
 * ```ts
 * import { createServerMetrics } from '@socketlite/metrics'
 * const metrics = createServerMetrics(server)
 * console.log(await metrics.registry.metrics())
 * ```
 * @throws {InvalidArgumentError} `prefix` would make invalid metric names, a bucket is not a positive finite number,
 *   or the registry has a metric of the same name already.
 */
export function createServerMetrics<TRequest, TSession extends AppSession<TRequest>>(
  server: AppServer<TRequest, TSession>,
  options: ServerMetricsOptions = {},
): ServerMetrics {
  const prefix = options.prefix ?? 'socketlite_'
  if (typeof prefix !== 'string' || (prefix !== '' && !metricNamePattern.test(prefix))) {
    throw new InvalidArgumentError(`prefix must be empty or match ${metricNamePattern}, got ${String(prefix)}`)
  }
  const buckets = options.handlerDurationBuckets ?? defaultHandlerDurationBuckets
  if (!Array.isArray(buckets) || !buckets.every((bound) => Number.isFinite(bound) && bound > 0)) {
    throw new InvalidArgumentError('handlerDurationBuckets must be positive finite numbers of seconds')
  }
  const registry = options.registry ?? new Registry()
  const timed = options.handlerDuration ?? true
  const names = [
    'sessions',
    'connections_accepted_total',
    'sessions_closed_total',
    'send_queue_bytes',
    'receive_buffered_bytes',
    ...(timed ? ['handler_duration_seconds', 'handler_errors_total'] : []),
    ...statMetrics.map((metric) => metric.name),
  ].map((name) => prefix + name)
  for (const name of names) {
    if (registry.getSingleMetric(name) !== undefined) {
      throw new InvalidArgumentError(`the registry has a metric named ${name} already: use another prefix or registry`)
    }
  }
  const registers = [registry]
  const snapshot = new ScrapeSnapshot(server)

  // Per listener, from the sessions when scraped.
  const listenerGauges: readonly [name: string, help: string, read: (totals: ListenerTotals) => number][] = [
    ['sessions', 'Sessions open now, per listener.', (totals) => totals.sessions],
    [
      'send_queue_bytes',
      "Bytes waiting in the sessions' sending queues (queued and not yet written to the socket), per listener.",
      (totals) => totals.sendQueueBytes,
    ],
    [
      'receive_buffered_bytes',
      'Bytes received and not yet parsed into dispatched requests, per listener.',
      (totals) => totals.receiveBufferedBytes,
    ],
  ]
  for (const [name, help, read] of listenerGauges) {
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['listener'],
      registers,
      collect() {
        this.reset()
        for (const [listener, totals] of snapshot.listeners()) this.set({ listener }, read(totals))
      },
    })
  }

  // Per listener, from the server's events.
  const accepted = new Counter({
    name: `${prefix}connections_accepted_total`,
    help: 'Connections that became sessions, per listener (counted since the metrics were made).',
    labelNames: ['listener'],
    registers,
  })
  const closed = new Counter({
    name: `${prefix}sessions_closed_total`,
    help: 'Sessions closed, per listener and close reason (counted since the metrics were made).',
    labelNames: ['listener', 'reason'],
    registers,
  })
  for (const endpoint of server.endpoints) accepted.inc({ listener: listenerLabel(endpoint) }, 0)
  const onConnected = (session: TSession): void => {
    accepted.inc({ listener: labelOf(session.listener) })
  }
  const onClosed = (session: TSession, reason: CloseReason): void => {
    closed.inc({ listener: labelOf(session.listener), reason: closeReasonName(reason) })
  }
  // A listener that starts after the metrics were made gets its zero series when it is first seen.
  const onStarted = (): void => {
    for (const endpoint of server.endpoints) accepted.inc({ listener: listenerLabel(endpoint) }, 0)
  }
  server.on('newSessionConnected', onConnected)
  server.on('sessionClosed', onClosed)
  server.on('started', onStarted)

  // Per listener, from the request-handled diagnostics channel.
  const onRequestHandled = timed ? handlerMetrics(server, prefix, buckets, registers) : undefined
  if (onRequestHandled !== undefined) diagnosticsChannel.subscribe(requestHandledChannelName, onRequestHandled)

  // Server-wide, from getStats() when scraped.
  for (const metric of statMetrics) registerStatMetric(metric, prefix, registers, snapshot)

  let open = true
  return {
    registry,
    names,
    close() {
      if (!open) return
      open = false
      server.off('newSessionConnected', onConnected)
      server.off('sessionClosed', onClosed)
      server.off('started', onStarted)
      if (onRequestHandled !== undefined) diagnosticsChannel.unsubscribe(requestHandledChannelName, onRequestHandled)
      for (const name of names) registry.removeSingleMetric(name)
    },
  }
}

/** The handler metrics of `server`; returns the channel subscriber that feeds them. */
function handlerMetrics(
  server: object,
  prefix: string,
  buckets: readonly number[],
  registers: Registry[],
): (message: unknown) => void {
  const duration = new HandlerDurationHistogram(
    `${prefix}handler_duration_seconds`,
    'How long request handlers (a command or the newRequestReceived listeners) took until they returned or their promise settled, per listener.',
    buckets,
    registers,
  )
  const handlerErrors = new Counter({
    name: `${prefix}handler_errors_total`,
    help: 'Request handlers that threw or rejected, per listener.',
    labelNames: ['listener'],
    registers,
  })
  return (message) => {
    const handled = message as RequestHandledMessage
    if (handled.session.server !== server) return
    const listener = handled.session.listener
    duration.record(listener, handled.duration / 1000)
    if (handled.failed) handlerErrors.inc(labelsOf(listener))
  }
}

/** Label sets per listener object, made once: a request costs no string building. */
const labelCache = new WeakMap<ListenerInfo, { readonly listener: string }>()
const outboundLabels = Object.freeze({ listener: listenerLabel(undefined) })

function labelsOf(listener: ListenerInfo | undefined): { readonly listener: string } {
  if (listener === undefined) return outboundLabels
  let labels = labelCache.get(listener)
  if (labels === undefined) {
    labels = Object.freeze({ listener: listenerLabel(listener) })
    labelCache.set(listener, labels)
  }
  return labels
}

function labelOf(listener: ListenerInfo | undefined): string {
  return labelsOf(listener).listener
}

function registerStatMetric(metric: StatMetric, prefix: string, registers: Registry[], snapshot: ScrapeSnapshot): void {
  const samples = (): readonly StatSample[] => {
    const value = metric.read(snapshot.stats())
    return typeof value === 'number' ? [[{}, value]] : value
  }
  const config = {
    name: prefix + metric.name,
    help: metric.help,
    labelNames: [...metric.labelNames],
    registers,
    aggregator: metric.aggregator ?? 'sum',
  }
  if (metric.type === 'counter') {
    new Counter({
      ...config,
      collect() {
        this.reset()
        for (const [labels, value] of samples()) this.inc({ ...labels }, value)
      },
    })
  } else {
    new Gauge({
      ...config,
      collect() {
        this.reset()
        for (const [labels, value] of samples()) this.set({ ...labels }, value)
      },
    })
  }
}

/** What a scrape reads from the server. */
interface ScrapeSource {
  getStats(): ServerStats
  readonly endpoints: readonly ListenerInfo[]
  getAllSessions(): readonly {
    readonly listener: ListenerInfo | undefined
    readonly pendingSendBytes: number
    readonly bufferedReceiveBytes: number
  }[]
}

/** What the sessions of one listener hold now. */
interface ListenerTotals {
  sessions: number
  sendQueueBytes: number
  receiveBufferedBytes: number
}

/**
 * The server's statistics and its sessions' totals per listener, read once per scrape: prom-client calls every
 * metric's `collect` in the same turn of the event loop, so the first read is kept until the next microtask.
 */
class ScrapeSnapshot {
  readonly #server: ScrapeSource
  #stats: ServerStats | undefined
  #listeners: Map<string, ListenerTotals> | undefined
  #clearing = false

  constructor(server: ScrapeSource) {
    this.#server = server
  }

  stats(): ServerStats {
    if (this.#stats === undefined) {
      this.#stats = this.#server.getStats()
      this.#clearSoon()
    }
    return this.#stats
  }

  listeners(): Map<string, ListenerTotals> {
    if (this.#listeners !== undefined) return this.#listeners
    const server = this.#server
    const totals = new Map<string, ListenerTotals>()
    for (const endpoint of server.endpoints) {
      totals.set(listenerLabel(endpoint), { sessions: 0, sendQueueBytes: 0, receiveBufferedBytes: 0 })
    }
    for (const session of server.getAllSessions()) {
      const label = labelOf(session.listener)
      let entry = totals.get(label)
      if (entry === undefined) {
        entry = { sessions: 0, sendQueueBytes: 0, receiveBufferedBytes: 0 }
        totals.set(label, entry)
      }
      entry.sessions++
      entry.sendQueueBytes += session.pendingSendBytes
      entry.receiveBufferedBytes += session.bufferedReceiveBytes
    }
    this.#listeners = totals
    this.#clearSoon()
    return totals
  }

  #clearSoon(): void {
    if (this.#clearing) return
    this.#clearing = true
    queueMicrotask(() => {
      this.#clearing = false
      this.#stats = undefined
      this.#listeners = undefined
    })
  }
}
