import { describe, expect, test } from 'vitest'
import {
  formatReportHtml,
  formatReportText,
  type LoadProgress,
  type ProtocolName,
  protocolNames,
  runLoad,
} from '../src/index.js'
import { echo, startTcpServer, startUdpEcho } from './helpers.js'

describe('runLoad (in process)', () => {
  test.each(protocolNames)('protocol %s: every echo verified, 0 errors', async (protocol: ProtocolName) => {
    const port = await startTcpServer(echo)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      protocol,
      connections: 2,
      pipeline: 3,
      duration: 200,
      size: 40,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.config.protocol).toBe(protocol)
    expect(report.results.bytesIn).toBeGreaterThanOrEqual(report.results.messages * report.config.messageBytes)
    expect(report.results.latencyMs.count).toBe(report.results.messages)
    expect(report.thresholds.passed).toBe(true)
  })

  test('the echo is checked byte for byte whatever the chunking (a server that echoes one byte at a time)', async () => {
    const port = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        for (const byte of chunk) socket.write(Uint8Array.of(byte))
      })
    })
    const report = await runLoad({ target: `tcp://127.0.0.1:${port}`, connections: 1, pipeline: 4, duration: 200 })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
  })

  test('a server that echoes every message twice: the surplus bytes are a mismatch', async () => {
    const port = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(Buffer.concat([chunk, chunk])))
    })
    const report = await runLoad({ target: `tcp://127.0.0.1:${port}`, connections: 1, duration: 200 })
    expect(report.errors.mismatch).toBeGreaterThanOrEqual(1)
  })

  test('UDP with a fixed message', async () => {
    const port = await startUdpEcho()
    const report = await runLoad({
      target: `udp://127.0.0.1:${port}`,
      message: 'PING',
      protocol: 'line',
      connections: 2,
      pipeline: 2,
      duration: 200,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.config).toMatchObject({ messageBytes: 6, payloadBytes: 4, distinctMessages: 1 })
  })

  test('a UDP server that answers with other bytes: mismatches', async () => {
    const dgram = await import('node:dgram')
    const socket = dgram.createSocket('udp4')
    const { onTestFinished } = await import('vitest')
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())))
    socket.on('message', (message, remote) => socket.send(Buffer.from(message).reverse(), remote.port, remote.address))
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const report = await runLoad({
      target: `udp://127.0.0.1:${socket.address().port}`,
      connections: 1,
      duration: 200,
      timeout: 100,
    })
    expect(report.errors.mismatch).toBeGreaterThan(0)
    expect(report.results.messages).toBe(0)
    expect(report.thresholds.passed).toBe(false)
  })

  test('progress goes connecting → running → done; the signal stops the run early', async () => {
    const port = await startTcpServer(echo)
    const phases: LoadProgress['phase'][] = []
    const controller = new AbortController()
    const started = performance.now()
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 2,
      duration: 20_000,
      sampleInterval: 100,
      signal: controller.signal,
      onProgress: (progress) => {
        if (phases.at(-1) !== progress.phase) phases.push(progress.phase)
        if (progress.phase === 'running' && progress.elapsedMs > 300) controller.abort()
      },
    })
    expect(performance.now() - started).toBeLessThan(5000)
    expect(phases).toEqual(['connecting', 'running', 'done'])
    expect(report.aborted).toBe(true)
    expect(report.results.durationMs).toBeLessThan(5000)
    expect(report.results.samples.length).toBeGreaterThanOrEqual(3)
    const sampled = report.results.samples.reduce((total, sample) => total + sample.messages, 0)
    expect(sampled).toBe(report.results.messages)
  })

  test('a warm-up is applied but not measured', async () => {
    const port = await startTcpServer(echo)
    const phases = new Set<string>()
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 1,
      warmup: 1000,
      duration: 200,
      onProgress: (progress) => phases.add(progress.phase),
    })
    expect(phases.has('warmup')).toBe(true)
    expect(report.config.warmupMs).toBe(1000)
    // the measured window excludes the warm-up
    expect(report.results.durationMs).toBeLessThan(1000)
  })

  test('text and HTML renderings of a real report', async () => {
    const port = await startTcpServer(echo)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 2,
      rate: 200,
      duration: 300,
      sampleInterval: 100,
      thresholds: { maxErrors: 0, maxP99: 60_000 },
    })
    const text = formatReportText(report)
    expect(text).toContain('open model, 200 msgs/s target')
    expect(text).toContain('% of the target rate')
    expect(text).toMatch(/pass {2}max-errors/)
    const html = formatReportHtml(report)
    expect(html.match(/<svg/g)?.length).toBe(3)
    expect(html).toContain('Latency by percentile')
  })
})
