import { once } from 'node:events'
import http from 'node:http'
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import {
  AppServer,
  type AppServerOptions,
  type AppSession,
  type ServerConfig,
  type StringRequestInfo,
  silentLogFactory,
} from '@socketlite/app-server'
import { connectTcp, type MetricFamily, parseExposition } from '@socketlite/testing'
import type { Registry } from 'prom-client'
import { onTestFinished } from 'vitest'
import {
  createServerMetrics,
  metricsRequestListener,
  type ServerMetrics,
  type ServerMetricsOptions,
} from '../src/index.js'

/** A server (not started), stopped when the test finishes; logs are silent. */
export function makeServer(
  config: ServerConfig,
  options: Omit<AppServerOptions<StringRequestInfo, AppSession>, 'config'> = {},
): AppServer {
  const server = new AppServer({ logFactory: silentLogFactory, ...options, config })
  onTestFinished(() => server.stop())
  return server
}

/** A client socket connected to `port` on 127.0.0.1, destroyed when the test finishes. */
export async function connect(port: number): Promise<net.Socket> {
  const socket = await connectTcp(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  return socket
}

/** An HTTP server on 127.0.0.1 (port 0) serving `registry` on /metrics, closed when the test finishes; its base URL. */
export async function serveMetrics(registry: Registry): Promise<string> {
  const server = http.createServer(metricsRequestListener(registry))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening', { signal: AbortSignal.timeout(2_000) })
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** GET `url` over loopback; its status, content type and body. */
export async function get(
  url: string,
  method = 'GET',
): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(5_000) })
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() }
}

/** Scrape `base`/metrics and parse it strictly. */
export async function scrape(base: string): Promise<Map<string, MetricFamily>> {
  const response = await get(`${base}/metrics`)
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`)
  return parseExposition(response.body)
}

/** The metrics of `server`, closed when the test finishes. */
export function makeMetrics(server: AppServer, options?: ServerMetricsOptions): ServerMetrics {
  const metrics = createServerMetrics(server, options)
  onTestFinished(() => metrics.close())
  return metrics
}
