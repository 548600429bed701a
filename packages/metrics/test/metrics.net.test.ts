import dgram from 'node:dgram'
import diagnosticsChannel from 'node:diagnostics_channel'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { type AppSession, requestHandledChannelName, type ServerStats } from '@socketlite/app-server'
import {
  deferred,
  lineReader,
  type MetricFamily,
  metricFamily,
  parseExposition,
  sampleValue,
} from '@socketlite/testing'
import { Registry } from 'prom-client'
import { describe, expect, onTestFinished, test } from 'vitest'
import { createServerMetrics, listenerLabel } from '../src/index.js'
import { fieldsExportedPerListener, statMetrics } from '../src/stat-metrics.js'
import { connect, get, makeMetrics, makeServer, scrape, serveMetrics } from './helpers.js'

const counterTypes = (families: Map<string, MetricFamily>, names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, families.get(name)?.type]))

describe('createServerMetrics, scraped over loopback', () => {
  test('sessions, accepted, rejected, closed, requests, bytes, refusals, queue bytes and handler latency', async () => {
    const server = makeServer({
      listeners: [
        { ip: '127.0.0.1', port: 0 },
        { ip: '127.0.0.1', port: 0 },
      ],
      maxConnectionNumber: 2,
      sendTimeOut: 0,
    })
    const queued = deferred<number>()
    let floodBytes = 0
    server.command('ECHO', (session, request) => {
      session.trySend(`${request.body}\r\n`)
    })
    server.command('SLOW', async (session, request) => {
      await delay(25)
      await session.send(`${request.body}\r\n`)
    })
    server.command('FAIL', () => {
      throw new Error('failing on purpose')
    })
    // Sends to a client that does not read until the session's queue stays full (the kernel's buffers are full
    // too), then tries once more (refused).
    server.command('FLOOD', async (session: AppSession) => {
      const chunk = new Uint8Array(16 * 1024)
      for (let round = 0; round < 8192; round++) {
        await session.send(chunk)
        floodBytes += chunk.length
        if (session.pendingSendBytes < 32 * 1024) continue
        await new Promise((resolve) => setImmediate(resolve))
        if (session.pendingSendBytes >= 32 * 1024) break
      }
      expect(session.trySend(new Uint8Array(64 * 1024))).toBe(false)
      queued.resolve(session.pendingSendBytes)
    })
    const metrics = makeMetrics(server)
    const [first, second] = await server.start()
    if (first === undefined || second === undefined) throw new Error('two listeners expected')
    const one = listenerLabel(first)
    const two = listenerLabel(second)
    expect(one).toBe(`tcp://127.0.0.1:${first.port}`)
    const base = await serveMetrics(metrics.registry)

    // A: three requests on the first listener, one of them asynchronous (25 ms).
    const a = await connect(first.port)
    const aLines = lineReader(a)
    const aSent = 'ECHO one\r\nECHO two\r\nSLOW three\r\n'
    a.write(aSent)
    expect([await aLines.next(), await aLines.next(), await aLines.next()]).toEqual(['one', 'two', 'three'])

    // B: a failing handler on the second listener closes its session with ApplicationError.
    const b = await connect(second.port)
    const bClosed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
    b.write('FAIL\r\n')
    await bClosed

    // D: a client that never reads, on the second listener; its session's queue fills.
    const d = await connect(second.port)
    d.pause()
    d.write('FLOOD\r\n')
    const pending = await queued.promise
    expect(pending).toBeGreaterThanOrEqual(32 * 1024)

    // E: over maxConnectionNumber (A and D are open): refused before it becomes a session.
    const e = await connect(first.port)
    await once(e, 'close', { signal: AbortSignal.timeout(2_000) })

    let families = await scrape(base)
    expect(counterTypes(families, ['socketlite_sessions', 'socketlite_connections_accepted_total'])).toEqual({
      socketlite_sessions: 'gauge',
      socketlite_connections_accepted_total: 'counter',
    })
    const sessions = metricFamily(families, 'socketlite_sessions', 'gauge')
    expect(sampleValue(sessions, { listener: one })).toBe(1)
    expect(sampleValue(sessions, { listener: two })).toBe(1)
    const accepted = metricFamily(families, 'socketlite_connections_accepted_total', 'counter')
    expect(sampleValue(accepted, { listener: one })).toBe(1)
    expect(sampleValue(accepted, { listener: two })).toBe(2)
    const rejected = metricFamily(families, 'socketlite_connections_rejected_total', 'counter')
    expect(sampleValue(rejected, { cause: 'maxConnectionNumber' })).toBe(1)
    expect(sampleValue(rejected, { cause: 'connectionFilter' })).toBe(0)
    expect(rejected.samples.map((sample) => sample.labels.cause).sort()).toEqual(
      [
        'acceptError',
        'connectionFilter',
        'handshake',
        'maxConnectionNumber',
        'maxConnectionsPerIp',
        'maxPendingHandshakes',
        'notRunning',
      ].sort(),
    )
    const closed = metricFamily(families, 'socketlite_sessions_closed_total', 'counter')
    expect(closed.samples).toEqual([
      { name: 'socketlite_sessions_closed_total', labels: { listener: two, reason: 'ApplicationError' }, value: 1 },
    ])
    expect(sampleValue(metricFamily(families, 'socketlite_requests_total', 'counter'))).toBe(5)
    const bytesIn = aSent.length + 'FAIL\r\n'.length + 'FLOOD\r\n'.length
    expect(sampleValue(metricFamily(families, 'socketlite_received_bytes_total', 'counter'))).toBe(bytesIn)
    const bytesOut = 'one\r\ntwo\r\nthree\r\n'.length + floodBytes
    expect(sampleValue(metricFamily(families, 'socketlite_sent_bytes_total', 'counter'))).toBe(bytesOut)
    expect(sampleValue(metricFamily(families, 'socketlite_try_send_refused_total', 'counter'))).toBe(1)
    expect(sampleValue(metricFamily(families, 'socketlite_send_timeouts_total', 'counter'))).toBe(0)
    const queue = metricFamily(families, 'socketlite_send_queue_bytes', 'gauge')
    expect(sampleValue(queue, { listener: one })).toBe(0)
    expect(sampleValue(queue, { listener: two })).toBeGreaterThanOrEqual(32 * 1024)
    expect(sampleValue(metricFamily(families, 'socketlite_receive_buffered_bytes', 'gauge'), { listener: one })).toBe(0)
    expect(sampleValue(metricFamily(families, 'socketlite_send_pool_chunk_bytes', 'gauge'))).toBeGreaterThan(0)

    // Handler latency: three requests on the first listener (one took 25 ms or more), two on the second.
    const latency = metricFamily(families, 'socketlite_handler_duration_seconds', 'histogram')
    const count = (listener: string) => sampleValue(latency, { listener }, 'socketlite_handler_duration_seconds_count')
    expect(count(one)).toBe(3)
    expect(count(two)).toBe(2)
    const buckets = latency.samples.filter(
      (sample) => sample.name === 'socketlite_handler_duration_seconds_bucket' && sample.labels.listener === one,
    )
    const bounds = buckets.map((sample) =>
      Number(sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : sample.labels.le),
    )
    expect(bounds).toEqual([...bounds].sort((x, y) => x - y))
    expect(bounds.at(-1)).toBe(Number.POSITIVE_INFINITY)
    const counts = buckets.map((sample) => sample.value)
    expect(counts).toEqual([...counts].sort((x, y) => x - y))
    expect(counts.at(-1)).toBe(3)
    expect(
      sampleValue(latency, { listener: one, le: '0.01' }, 'socketlite_handler_duration_seconds_bucket'),
    ).toBeLessThanOrEqual(2)
    const sum = sampleValue(latency, { listener: one }, 'socketlite_handler_duration_seconds_sum') ?? 0
    expect(sum).toBeGreaterThanOrEqual(0.024)
    const errors = metricFamily(families, 'socketlite_handler_errors_total', 'counter')
    expect(sampleValue(errors, { listener: two })).toBe(1)
    expect(sampleValue(errors, { listener: one })).toBeUndefined()

    // The same numbers as getStats().
    const stats = server.getStats()
    expect([stats.requests, stats.bytesIn, stats.bytesOut, stats.trySendRefused, stats.rejected.total]).toEqual([
      5,
      bytesIn,
      bytesOut,
      1,
      1,
    ])

    // A ends its side: closed with ClientClosing, one session less on the first listener.
    const aClosed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
    a.end()
    await aClosed
    families = await scrape(base)
    expect(sampleValue(metricFamily(families, 'socketlite_sessions', 'gauge'), { listener: one })).toBe(0)
    expect(
      sampleValue(metricFamily(families, 'socketlite_sessions_closed_total', 'counter'), {
        listener: one,
        reason: 'ClientClosing',
      }),
    ).toBe(1)
  })

  test('every getStats() field is exported by some metric', async () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    const covered = [...fieldsExportedPerListener, ...statMetrics.flatMap((metric) => metric.fields)]
    const missing: string[] = []
    const walk = (value: unknown, path: string) => {
      if (typeof value === 'number') {
        if (!covered.some((field) => path === field || path.startsWith(`${field}.`))) missing.push(path)
      } else if (typeof value === 'object' && value !== null) {
        for (const [key, inner] of Object.entries(value)) walk(inner, path === '' ? key : `${path}.${key}`)
      }
    }
    walk(server.getStats() satisfies ServerStats, '')
    expect(missing).toEqual([])
    // And every field a row names exists.
    const stats = server.getStats() as unknown as Record<string, unknown>
    for (const field of covered) {
      const value = field.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown>)?.[key], stats)
      expect(value, field).toBeDefined()
    }
  })

  test('an outbound session is labelled outbound; a prefix and a shared registry', async () => {
    const target = makeServer({ ip: '127.0.0.1', port: 0 })
    target.on('newRequestReceived', (session, request) => {
      session.trySend(`${request.key}\r\n`)
    })
    const [bound] = await target.start()
    const client = makeServer({ listeners: [] })
    const registry = new Registry()
    const targetMetrics = makeMetrics(target, { registry, prefix: 'target_' })
    const clientMetrics = makeMetrics(client, { registry, prefix: 'client_' })
    await client.start()
    const replied = deferred<string>()
    client.on('newRequestReceived', (_session, request) => replied.resolve(request.key))
    const session = await client.activeConnect({ host: '127.0.0.1', port: bound?.port ?? 0 })
    session.trySend('PING\r\n')
    expect(await replied.promise).toBe('PING')

    const families = parseExposition(await registry.metrics())
    expect(sampleValue(metricFamily(families, 'client_sessions', 'gauge'), { listener: 'outbound' })).toBe(1)
    expect(
      sampleValue(
        metricFamily(families, 'client_handler_duration_seconds', 'histogram'),
        { listener: 'outbound' },
        'client_handler_duration_seconds_count',
      ),
    ).toBe(1)
    expect(sampleValue(metricFamily(families, 'target_sessions', 'gauge'), { listener: listenerLabel(bound) })).toBe(1)
    expect(sampleValue(metricFamily(families, 'target_requests_total', 'counter'))).toBe(1)
    expect(targetMetrics.names.every((name) => name.startsWith('target_'))).toBe(true)
    expect(clientMetrics.names).toHaveLength(targetMetrics.names.length)
  })
})

test('UDP: a session per peer, labelled udp://', async () => {
  const server = makeServer({ ip: '127.0.0.1', port: 0, mode: 'udp' })
  server.on('newRequestReceived', (session, request) => {
    session.trySend(`${request.body}\r\n`)
  })
  const metrics = makeMetrics(server)
  const [bound] = await server.start()
  const peer = dgram.createSocket('udp4')
  onTestFinished(() => new Promise<void>((resolve) => peer.close(() => resolve())))
  peer.send('ECHO over udp\r\n', bound?.port ?? 0, '127.0.0.1')
  const [reply] = (await once(peer, 'message', { signal: AbortSignal.timeout(2_000) })) as [Buffer]
  expect(reply.toString()).toBe('over udp\r\n')
  const listener = listenerLabel(bound)
  expect(listener).toBe(`udp://127.0.0.1:${bound?.port}`)
  const families = parseExposition(await metrics.registry.metrics())
  expect(sampleValue(metricFamily(families, 'socketlite_sessions', 'gauge'), { listener })).toBe(1)
  expect(sampleValue(metricFamily(families, 'socketlite_connections_accepted_total', 'counter'), { listener })).toBe(1)
  expect(
    sampleValue(
      metricFamily(families, 'socketlite_handler_duration_seconds', 'histogram'),
      { listener },
      'socketlite_handler_duration_seconds_count',
    ),
  ).toBe(1)
  expect(sampleValue(metricFamily(families, 'socketlite_received_bytes_total', 'counter'))).toBe(
    'ECHO over udp\r\n'.length,
  )
})

describe('options and close()', () => {
  test('close() unregisters the metrics and stops listening; the names can be made again', async () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    const registry = new Registry()
    const before = server.listenerCount('sessionClosed')
    const metrics = createServerMetrics(server, { registry })
    expect(metrics.registry).toBe(registry)
    expect(server.listenerCount('sessionClosed')).toBe(before + 1)
    expect(diagnosticsChannel.hasSubscribers(requestHandledChannelName)).toBe(true)
    expect(() => createServerMetrics(server, { registry })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    metrics.close()
    metrics.close()
    expect(server.listenerCount('sessionClosed')).toBe(before)
    expect(server.listenerCount('newSessionConnected')).toBe(0)
    expect(diagnosticsChannel.hasSubscribers(requestHandledChannelName)).toBe(false)
    expect(registry.getMetricsAsArray()).toHaveLength(0)
    const again = createServerMetrics(server, { registry })
    expect(
      registry
        .getMetricsAsArray()
        .map((metric) => metric.name)
        .sort(),
    ).toEqual([...again.names].sort())
    again.close()
  })

  test('handlerDuration: false leaves the handler metrics out and does not subscribe', async () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    const metrics = makeMetrics(server, { handlerDuration: false })
    expect(diagnosticsChannel.hasSubscribers(requestHandledChannelName)).toBe(false)
    expect(metrics.names).not.toContain('socketlite_handler_duration_seconds')
    expect(metrics.names).not.toContain('socketlite_handler_errors_total')
    const families = parseExposition(await metrics.registry.metrics())
    expect(families.has('socketlite_handler_duration_seconds')).toBe(false)
    expect(families.has('socketlite_requests_total')).toBe(true)
  })

  test('bad options throw InvalidArgumentError', () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    for (const options of [{ prefix: '1x_' }, { prefix: 'a-b' }, { handlerDurationBuckets: [0.1, -1] }]) {
      expect(() => createServerMetrics(server, options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
    expect(server.listenerCount('sessionClosed')).toBe(0)
  })

  test('custom buckets and an empty prefix', async () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    const metrics = createServerMetrics(server, { prefix: '', handlerDurationBuckets: [0.5, 1] })
    const families = parseExposition(await metrics.registry.metrics())
    expect(metricFamily(families, 'sessions', 'gauge').samples).toEqual([])
    expect(metricFamily(families, 'handler_duration_seconds', 'histogram').samples).toEqual([])
    metrics.close()
  })
})

describe('metricsRequestListener', () => {
  test('GET and HEAD /metrics answer 200 in the text format; other paths 404; other methods 405', async () => {
    const server = makeServer({ ip: '127.0.0.1', port: 0 })
    const metrics = makeMetrics(server)
    await server.start()
    const base = await serveMetrics(metrics.registry)
    const ok = await get(`${base}/metrics?x=1`)
    expect(ok.status).toBe(200)
    expect(ok.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(parseExposition(ok.body).size).toBeGreaterThan(10)
    const head = await get(`${base}/metrics`, 'HEAD')
    expect([head.status, head.body]).toEqual([200, ''])
    expect((await get(`${base}/`)).status).toBe(404)
    expect((await get(`${base}/metrics/x`)).status).toBe(404)
    expect((await get(`${base}/metrics`, 'POST')).status).toBe(405)
  })
})
