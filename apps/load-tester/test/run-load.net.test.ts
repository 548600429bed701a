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

/** A line server that answers every line with `answer(line, count)` (no echo): the kind of server --expect is for. */
async function startLineServer(answer: (line: string, count: number) => string): Promise<number> {
  return startTcpServer((socket) => {
    let carry = ''
    let count = 0
    socket.setEncoding('latin1')
    socket.on('data', (text: string) => {
      const lines = (carry + text).split('\r\n')
      carry = lines.pop() ?? ''
      let out = ''
      for (const line of lines) out += answer(line, count++)
      if (out !== '') socket.write(out, 'latin1')
    })
  })
}

describe('request/reply mode (servers that answer, not echo)', () => {
  test('--expect-match: "OK <n>" replies to every line, 0 errors, one latency per reply', async () => {
    const port = await startLineServer((_line, count) => `OK ${count}\r\n`)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      message: 'INCR',
      expect: { kind: 'match', pattern: '^OK \\d+$' },
      connections: 3,
      pipeline: 8,
      duration: 300,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.results.latencyMs.count).toBe(report.results.messages)
    expect(report.config).toMatchObject({ mode: 'request-reply', expect: '/^OK \\d+$/', verify: true })
  })

  test('--expect: every tenth reply is wrong; those are mismatches, the rest count, the connection stays', async () => {
    const port = await startLineServer((_line, count) => (count % 10 === 9 ? '-ERR busy\r\n' : '+PONG\r\n'))
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      message: 'PING',
      expect: { kind: 'exact', payload: '+PONG' },
      connections: 2,
      pipeline: 5,
      duration: 300,
    })
    const answered = report.results.messages + report.errors.mismatch
    expect(report.errors.mismatch).toBeGreaterThan(0)
    expect(report.errors.mismatch / answered).toBeCloseTo(0.1, 1)
    expect(report.errors.total).toBe(report.errors.mismatch)
    expect(report.results.connections.connects).toBe(2)
    expect(report.errorDetails.mismatch).toContain('the reply is not "+PONG"')
  })

  test('--expect any accepts any well-framed reply, whatever its size', async () => {
    const port = await startLineServer((_line, count) => `${'x'.repeat(count % 7)}\r\n`)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      expect: { kind: 'any' },
      connections: 2,
      pipeline: 4,
      duration: 300,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
  })

  test('a server that answers twice per request: mismatch, and the connection is made again', async () => {
    const port = await startLineServer(() => 'OK\r\nOK\r\n')
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      expect: { kind: 'exact', payload: 'OK' },
      connections: 1,
      duration: 300,
    })
    expect(report.errors.mismatch).toBeGreaterThan(0)
    expect(report.errorDetails.mismatch).toContain('more replies than it was sent requests')
    expect(report.results.connections.connects).toBeGreaterThan(1)
  })

  test('length-field replies of another size than the requests', async () => {
    const port = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        // requests: 4-byte length + 8 bytes; answer each with 4-byte length + "done"
        const frames = Math.floor(chunk.length / 12)
        const reply = Buffer.from([0, 0, 0, 4, 0x64, 0x6f, 0x6e, 0x65])
        socket.write(Buffer.concat(Array.from({ length: frames }, () => reply)))
      })
    })
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      protocol: 'length-field',
      size: 8,
      expect: { kind: 'exact', payload: 'done' },
      connections: 1,
      pipeline: 1,
      duration: 300,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
  })

  test('UDP: each reply datagram answers the oldest pending message', async () => {
    const dgram = await import('node:dgram')
    const { onTestFinished } = await import('vitest')
    const socket = dgram.createSocket('udp4')
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())))
    socket.on('message', (_message, remote) => socket.send('PONG\r\n', remote.port, remote.address))
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const report = await runLoad({
      target: `udp://127.0.0.1:${socket.address().port}`,
      message: 'PING',
      expect: { kind: 'exact', payload: 'PONG' },
      connections: 2,
      pipeline: 2,
      duration: 300,
    })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
  })

  test('verify: false counts echoed bytes without comparing them (a corrupting server shows no mismatch)', async () => {
    const port = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(Buffer.alloc(chunk.length, 0x3f)))
    })
    const options = { target: `tcp://127.0.0.1:${port}`, connections: 1, pipeline: 2, duration: 200 }
    const unverified = await runLoad({ ...options, verify: false })
    expect(unverified.errors.total).toBe(0)
    expect(unverified.results.messages).toBeGreaterThan(0)
    expect(unverified.config.verify).toBe(false)
    const verified = await runLoad(options)
    expect(verified.errors.mismatch).toBeGreaterThan(0)
  })
})

describe('what the report says', () => {
  test('the warm-up is shown as its own phase: its time, rate and p99, then the measurement starts over', async () => {
    const port = await startTcpServer(echo)
    const seen: LoadProgress[] = []
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 2,
      pipeline: 4,
      warmup: 600,
      duration: 300,
      sampleInterval: 100,
      onProgress: (progress) => seen.push(progress),
    })
    const phases = seen.map((progress) => progress.phase).filter((phase, index, all) => all[index - 1] !== phase)
    expect(phases).toEqual(['connecting', 'warmup', 'running', 'done'])
    const warmup = seen.filter((progress) => progress.phase === 'warmup')
    expect(warmup.every((progress) => progress.durationMs === 600)).toBe(true)
    expect(Math.max(...warmup.map((progress) => progress.elapsedMs))).toBeGreaterThan(300)
    expect(warmup[0]).toMatchObject({ p99Ms: null, messagesPerSecond: null })
    expect(warmup.some((progress) => progress.p99Ms !== null && (progress.messagesPerSecond ?? 0) > 0)).toBe(true)
    const firstRunning = seen.find((progress) => progress.phase === 'running')
    expect(firstRunning).toMatchObject({ p99Ms: null, messagesPerSecond: null })
    expect(firstRunning?.durationMs).toBe(300)
    // messages sent during the warm-up and still in flight when the measurement started are reported as such
    expect(report.results.inFlightAtStart).toBe(8)
  })

  test('a last sample of a few ms is folded into the one before: no fake cliff, samples add up to the total', async () => {
    const port = await startTcpServer(echo)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 2,
      pipeline: 4,
      duration: 1030,
      sampleInterval: 250,
    })
    const samples = report.results.samples
    expect(samples.length).toBeGreaterThanOrEqual(3)
    for (const sample of samples) expect(sample.durationMs).toBeGreaterThanOrEqual(125)
    const last = samples.at(-1)
    // the samples are timed in the worker, the total on the main thread: they differ by the message's trip (ms)
    const end = (last?.startMs ?? 0) + (last?.durationMs ?? 0)
    expect(Math.abs(end - report.results.durationMs)).toBeLessThan(60)
    // the folded last sample is at least half an interval long: no sample ends a few ms after the one before
    expect(report.results.durationMs - (last?.startMs ?? 0)).toBeGreaterThan(125 - 60)
    expect(samples.reduce((total, sample) => total + sample.messages, 0)).toBe(report.results.messages)
  })

  test('the messages line adds up: sent + in flight at the start = answered + in flight at the end', async () => {
    const port = await startTcpServer(echo)
    const report = await runLoad({
      target: `tcp://127.0.0.1:${port}`,
      connections: 2,
      pipeline: 50,
      warmup: 200,
      duration: 300,
    })
    const { sent, messages, inFlightAtStart, inFlightAtEnd } = report.results
    expect(sent + inFlightAtStart).toBe(messages + inFlightAtEnd)
    const text = formatReportText(report)
    expect(text).toContain(`${sent.toLocaleString('en-US')} sent, ${messages.toLocaleString('en-US')} echoes verified`)
    expect(text).toContain(
      `in flight (sent, not yet answered): ${inFlightAtStart} when the measurement started, ${inFlightAtEnd} when it stopped`,
    )
    expect(text).not.toMatch(/echoed of/)
  })
})
