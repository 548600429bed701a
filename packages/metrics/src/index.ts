/**
 * @packageDocumentation
 * Prometheus metrics for a socketlite `AppServer`, with prom-client: sessions, connections accepted and rejected (by
 * cause), sessions closed (by close reason), requests, bytes in and out, send refusals, queue bytes and a handler
 * latency histogram, labelled per listener where the server knows the listener. The server pays for none of it
 * unless metrics are made: counts are read from `server.getStats()` and the sessions when the registry is scraped,
 * and handler latency comes from a diagnostics channel the server publishes on only while someone subscribes.
 *
 * @example
 * ```ts
 * import http from 'node:http'
 * import { AppServer } from '@socketlite/app-server'
 * import { createServerMetrics, metricsRequestListener } from '@socketlite/metrics'
 *
 * const server = new AppServer({ config: { ip: '127.0.0.1', port: 2020 } })
 * server.on('newRequestReceived', async (session, request) => {
 *   if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
 * })
 * const metrics = createServerMetrics(server) // before start(): every session is counted
 * await server.start()
 * http.createServer(metricsRequestListener(metrics.registry)).listen(9464, '127.0.0.1') // GET /metrics
 * ```
 */

export { listenerLabel, outboundListenerLabel } from './listener-label.js'
export {
  type MetricsRequestListenerOptions,
  type MetricsSource,
  metricsRequestListener,
} from './metrics-request-listener.js'
export {
  createServerMetrics,
  defaultHandlerDurationBuckets,
  type ServerMetrics,
  type ServerMetricsOptions,
} from './server-metrics.js'
