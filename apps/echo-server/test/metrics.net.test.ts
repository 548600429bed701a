import net from 'node:net'
import { lineReader, metricFamily, parseExposition, sampleValue } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { echoCli, endpointOf, type Spawned, spawnNode, waitEvent } from './processes.js'

/** `socketlite-echo` with `args`; resolves with its endpoint URL and its metrics URL (the first two stdout lines). */
async function startWithMetrics(args: readonly string[]): Promise<{ echo: Spawned; url: string; metricsUrl: string }> {
  const echo = spawnNode(echoCli, ['--log-level', 'warn', ...args])
  const [listening, metrics] = await echo.waitForLines(2, 15_000)
  const url = /^listening (tcp:\/\/\S+)$/.exec(listening ?? '')?.[1]
  const metricsUrl = /^metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(metrics ?? '')?.[1]
  if (url === undefined || metricsUrl === undefined) throw new Error(`unexpected stdout: ${echo.lines.join(' | ')}`)
  return { echo, url, metricsUrl }
}

async function connect(url: string): Promise<net.Socket> {
  const socket = net.connect(endpointOf(url))
  onTestFinished(() => {
    socket.destroy()
  })
  await waitEvent(socket, 'connect')
  return socket
}

async function scrape(metricsUrl: string) {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parseExposition(await response.text())
}

describe('socketlite-echo --metrics (the built binary)', () => {
  test('GET /metrics over loopback: sessions, accepted, rejected, closed, requests, bytes, latency; 404 elsewhere', async () => {
    const { echo, url, metricsUrl } = await startWithMetrics([
      '--port',
      '0',
      '--metrics',
      '127.0.0.1:0',
      '--max-connections',
      '2',
    ])
    const listener = url
    // Two sessions: one echoes two lines, the other one line; both stay open.
    const first = await connect(url)
    const firstLines = lineReader(first)
    first.write('one\r\ntwo\r\n')
    expect([await firstLines.next(), await firstLines.next()]).toEqual(['one', 'two'])
    const second = await connect(url)
    const secondLines = lineReader(second)
    second.write('three\r\n')
    expect(await secondLines.next()).toBe('three')
    // A third connection is over --max-connections 2: refused before it becomes a session.
    const refused = await connect(url)
    await waitEvent(refused, 'close')
    // The first one ends its side: closed with ClientClosing (the server counts it once its close is done, which
    // the client cannot see: scrape until it shows, at most 50 times).
    first.end()
    await waitEvent(first, 'close')
    let closed: number | undefined
    for (let attempt = 0; attempt < 50 && closed !== 1; attempt++) {
      closed = sampleValue(metricFamily(await scrape(metricsUrl), 'socketlite_sessions_closed_total', 'counter'), {
        listener,
        reason: 'ClientClosing',
      })
    }
    expect(closed).toBe(1)

    const families = await scrape(metricsUrl)
    expect(sampleValue(metricFamily(families, 'socketlite_sessions', 'gauge'), { listener })).toBe(1)
    expect(sampleValue(metricFamily(families, 'socketlite_connections_accepted_total', 'counter'), { listener })).toBe(
      2,
    )
    expect(
      sampleValue(metricFamily(families, 'socketlite_connections_rejected_total', 'counter'), {
        cause: 'maxConnectionNumber',
      }),
    ).toBe(1)
    expect(metricFamily(families, 'socketlite_sessions_closed_total', 'counter').samples).toHaveLength(1)
    expect(sampleValue(metricFamily(families, 'socketlite_requests_total', 'counter'))).toBe(3)
    const bytes = 'one\r\ntwo\r\nthree\r\n'.length
    expect(sampleValue(metricFamily(families, 'socketlite_received_bytes_total', 'counter'))).toBe(bytes)
    expect(sampleValue(metricFamily(families, 'socketlite_sent_bytes_total', 'counter'))).toBe(bytes)
    const latency = metricFamily(families, 'socketlite_handler_duration_seconds', 'histogram')
    expect(sampleValue(latency, { listener }, 'socketlite_handler_duration_seconds_count')).toBe(3)
    expect(sampleValue(latency, { listener, le: '+Inf' }, 'socketlite_handler_duration_seconds_bucket')).toBe(3)

    const base = metricsUrl.replace(/\/metrics$/, '')
    expect((await fetch(`${base}/`, { signal: AbortSignal.timeout(5_000) })).status).toBe(404)
    expect((await fetch(`${base}/other`, { signal: AbortSignal.timeout(5_000) })).status).toBe(404)
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
    expect(echo.lines).toEqual([`listening ${url}`, `metrics ${metricsUrl}`])
  })

  test('a metrics port in use: exit 1 with the reason on stderr, the echo endpoint released', async () => {
    const blocker = net.createServer()
    blocker.listen(0, '127.0.0.1')
    await waitEvent(blocker, 'listening')
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
    const { port } = blocker.address() as net.AddressInfo
    const echo = spawnNode(echoCli, ['--port', '0', '--metrics', `127.0.0.1:${port}`])
    expect(await echo.exit(15_000)).toBe(1)
    expect(echo.stderr()).toMatch(
      /^socketlite-echo: error: the metrics endpoint could not listen on 127\.0\.0\.1:\d+ \(.*EADDRINUSE/m,
    )
    expect(echo.lines).toEqual([])
  })

  test('--cluster 2 --metrics: one endpoint in the primary, every worker counted', async () => {
    const { echo, url, metricsUrl } = await startWithMetrics([
      '--port',
      '0',
      '--cluster',
      '2',
      '--metrics',
      '127.0.0.1:0',
    ])
    // Connections in turn until both workers have had one (the kernel spreads them); bounded.
    let accepted = 0
    for (let round = 1; round <= 8; round++) {
      const socket = await connect(url)
      const lines = lineReader(socket)
      socket.write(`r${round}\r\n`)
      expect(await lines.next()).toBe(`r${round}`)
      socket.end()
      await waitEvent(socket, 'close')
      accepted = round
    }
    const families = await scrape(metricsUrl)
    expect(
      sampleValue(metricFamily(families, 'socketlite_connections_accepted_total', 'counter'), { listener: url }),
    ).toBe(accepted)
    expect(sampleValue(metricFamily(families, 'socketlite_requests_total', 'counter'))).toBe(accepted)
    // Summed across workers, except what is the same in each: one worker's chunk size, not twice it.
    const single = await startWithMetrics(['--port', '0', '--metrics', '127.0.0.1:0'])
    const chunkBytes = (scraped: Awaited<ReturnType<typeof scrape>>) =>
      sampleValue(metricFamily(scraped, 'socketlite_send_pool_chunk_bytes', 'gauge'))
    expect(chunkBytes(families)).toBe(chunkBytes(await scrape(single.metricsUrl)))
    single.echo.child.kill('SIGTERM')
    expect(await single.echo.exit()).toBe(0)
    echo.child.kill('SIGTERM')
    expect(await echo.exit(20_000)).toBe(0)
  })
})
