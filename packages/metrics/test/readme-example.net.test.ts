import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { AppServer, silentLogFactory } from '@socketlite/app-server'
import { lineReader, metricFamily, parseExposition, sampleValue } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { createServerMetrics, metricsRequestListener } from '../src/index.js'
import { connect, get } from './helpers.js'

test("the README's server with a /metrics endpoint works as written (ports 0, logs silent)", async () => {
  // --- the README example, on port 0 ---
  const server = new AppServer({ config: { ip: '127.0.0.1', port: 0 }, logFactory: silentLogFactory })
  server.on('newRequestReceived', async (session, request) => {
    if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
  })
  const metrics = createServerMetrics(server) // before start(), so that every session is counted
  onTestFinished(() => server.stop())
  const [bound] = await server.start()
  const endpoint = http.createServer(metricsRequestListener(metrics.registry)) // GET /metrics, 404 elsewhere
  endpoint.listen(0, '127.0.0.1')
  onTestFinished(() => new Promise<void>((resolve) => endpoint.close(() => resolve())))
  await once(endpoint, 'listening', { signal: AbortSignal.timeout(2_000) })
  // --- end of the example; then what the README shows: one ECHO over a connection that ends, then a scrape ---
  const client = await connect(bound?.port ?? 0)
  const lines = lineReader(client)
  const closed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
  client.end('ECHO hi\r\n')
  expect(await lines.next()).toBe('hi')
  await closed
  const { port } = endpoint.address() as AddressInfo
  const response = await get(`http://127.0.0.1:${port}/metrics`)
  const listener = `tcp://127.0.0.1:${bound?.port}`
  expect(response.body).toContain(`# TYPE socketlite_sessions gauge\nsocketlite_sessions{listener="${listener}"} 0\n`)
  expect(response.body).toContain(`socketlite_sessions_closed_total{listener="${listener}",reason="ClientClosing"} 1\n`)
  const families = parseExposition(response.body)
  expect(sampleValue(metricFamily(families, 'socketlite_connections_accepted_total', 'counter'), { listener })).toBe(1)
  expect(sampleValue(metricFamily(families, 'socketlite_requests_total', 'counter'))).toBe(1)
  expect(
    sampleValue(
      metricFamily(families, 'socketlite_handler_duration_seconds', 'histogram'),
      { listener, le: '+Inf' },
      'socketlite_handler_duration_seconds_bucket',
    ),
  ).toBe(1)
  metrics.close()
})
