import type { IncomingMessage, ServerResponse } from 'node:http'
/**
 * What {@link metricsRequestListener} serves: a prom-client `Registry`, or anything with the same two members (e.g.
 * `{ metrics: () => aggregatorRegistry.clusterMetrics(), contentType: aggregatorRegistry.contentType }`).
 */
export interface MetricsSource {
  /** The exposition text. */
  metrics(): Promise<string>
  /** Its content type (`text/plain; version=0.0.4; charset=utf-8` for the Prometheus text format). */
  readonly contentType: string
}

/** Options of {@link metricsRequestListener}. */
export interface MetricsRequestListenerOptions {
  /**
   * The path the metrics are served on (the query string is ignored).
   * @default '/metrics'
   */
  readonly path?: string
}

/**
 * A `node:http` request listener that serves `registry` (a prom-client `Registry`, see {@link MetricsSource}) in the Prometheus text exposition format: `GET` (or `HEAD`)
 * on `path` answers 200 with `registry.contentType`; another method on `path` answers 405; any other path 404; a
 * failing collection 500.
 *
 * @example
 * ```ts
 * import http from 'node:http'
 * import { createServerMetrics, metricsRequestListener } from '@socketlite/metrics'
 *
 * const { registry } = createServerMetrics(server)
 * http.createServer(metricsRequestListener(registry)).listen(9464, '127.0.0.1')
 * ```
 */
export function metricsRequestListener(
  registry: MetricsSource,
  options: MetricsRequestListenerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const path = options.path ?? '/metrics'
  return (request, response) => {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    if ((query < 0 ? url : url.slice(0, query)) !== path) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n')
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('Method not allowed\n')
      return
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        response.end(`Collecting the metrics failed: ${error instanceof Error ? error.message : String(error)}\n`)
      },
    )
  }
}
