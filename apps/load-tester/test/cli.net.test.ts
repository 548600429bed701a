import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedisServer } from '@socketlite/testing'
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import {
  checkSchema,
  cliPath,
  echo,
  makeCertificate,
  runCli,
  runCliJson,
  type Schema,
  schemaPath,
  startTcpServer,
  startTlsEcho,
  startUdpEcho,
} from './helpers.js'

// These tests run the BUILT binary: `pnpm --filter @socketlite/load-tester build` first.
beforeAll(() => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build the package first`)
})

const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Schema

describe('against a bare node:net echo', () => {
  test('--json prints one report object that matches report.schema.json, with 0 errors', async () => {
    const port = await startTcpServer(echo)
    const { code, report, stderr } = await runCliJson([`tcp://127.0.0.1:${port}`, '-c', '4', '-p', '4', '-d', '400ms'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(checkSchema(report, schema)).toEqual([])
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.errors.total).toBe(0)
    expect(report.config).toMatchObject({
      connections: 4,
      model: 'closed',
      pipeline: 4,
      protocol: 'line',
      messageBytes: 34,
    })
    expect(report.results.bytesIn).toBeGreaterThanOrEqual(report.results.messages * 34)
    expect(report.results.latencyMs.count).toBe(report.results.messages)
    expect(report.results.connectMs.count).toBe(4)
    expect(report.cpu.workers).toHaveLength(1)
  })

  test('the human report has the table, and --html writes a self-contained page with SVG charts', async () => {
    const port = await startTcpServer(echo)
    const folder = mkdtempSync(join(tmpdir(), 'socketlite-load-html-'))
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }))
    const html = join(folder, 'report.html')
    const { code, stdout } = await runCli([`${'127.0.0.1'}:${port}`, '-c', '2', '-d', '300ms', '--html', html, '-q'])
    expect(code).toBe(0)
    for (const part of ['msgs/s', 'MiB/s in', 'p99.9', 'latency', 'connect', 'closed-by-server', 'tester CPU']) {
      expect(stdout).toContain(part)
    }
    const page = readFileSync(html, 'utf8')
    expect(page).toContain('<svg')
    expect(page).toContain('<!doctype html>')
    expect(page).not.toMatch(/<script|src=|href=/)
  })

  test('--workers 2 splits the connections and merges the results', async () => {
    const port = await startTcpServer(echo)
    const { code, report } = await runCliJson([
      `tcp://127.0.0.1:${port}`,
      '-c',
      '4',
      '-p',
      '2',
      '-d',
      '400ms',
      '--workers',
      '2',
    ])
    expect(code).toBe(0)
    expect(checkSchema(report, schema)).toEqual([])
    expect(report.config.workers).toBe(2)
    expect(report.cpu.workers.map((worker: { connections: number }) => worker.connections)).toEqual([2, 2])
    expect(report.results.connectMs.count).toBe(4)
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.results.latencyMs.count).toBe(report.results.messages)
    expect(report.errors.total).toBe(0)
  })

  test('the open model keeps the target rate on a healthy server', async () => {
    const port = await startTcpServer(echo)
    const { code, report } = await runCliJson([`tcp://127.0.0.1:${port}`, '-c', '2', '-r', '400', '-d', '500ms'])
    expect(code).toBe(0)
    expect(report.config).toMatchObject({ model: 'open', rate: 400, pipeline: null })
    // 400/s for 0.5 s is about 200 messages; allow for timer granularity on a busy machine
    expect(report.results.messages).toBeGreaterThan(100)
    expect(report.results.messages).toBeLessThan(300)
    expect(report.errors.total).toBe(0)
  })
})

describe('errors by kind', () => {
  test('a corrupted echo is a mismatch, and --max-errors 0 turns it into exit code 1', async () => {
    let corrupted = false
    let seen = 0
    const port = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.length
        if (!corrupted && seen > 200) {
          corrupted = true
          const copy = Buffer.from(chunk)
          copy[0] = (copy[0] as number) ^ 0x01
          socket.write(copy)
        } else {
          socket.write(chunk)
        }
      })
    })
    const { code, report, stderr } = await runCliJson([
      `tcp://127.0.0.1:${port}`,
      '-c',
      '1',
      '-d',
      '400ms',
      '--max-errors',
      '0',
    ])
    expect(corrupted).toBe(true)
    expect(report.errors.mismatch).toBe(1)
    expect(report.errors.total).toBe(1)
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.thresholds.passed).toBe(false)
    expect(code).toBe(1)
    expect(stderr).toContain('max-errors')
  })

  test('a reset connection is counted as reset, and the tester reconnects', async () => {
    let resets = 0
    const port = await startTcpServer((socket) => {
      let chunks = 0
      socket.on('data', (chunk) => {
        chunks++
        if (resets === 0 && chunks === 20) {
          resets++
          socket.resetAndDestroy()
        } else {
          socket.write(chunk)
        }
      })
    })
    const { code, report } = await runCliJson([`tcp://127.0.0.1:${port}`, '-c', '1', '-d', '500ms'])
    expect(resets).toBe(1)
    expect(report.errors.reset).toBe(1)
    expect(report.results.connections.connects).toBe(2)
    expect(report.results.messages).toBeGreaterThan(20)
    expect(report.errorDetails.reset).toContain('ECONNRESET')
    expect(code).toBe(0)
  })

  test('a connection the server closes is counted as closed-by-server', async () => {
    let closed = 0
    const port = await startTcpServer((socket) => {
      let chunks = 0
      socket.on('data', (chunk) => {
        socket.write(chunk)
        if (++chunks === 10 && closed === 0) {
          closed++
          socket.end()
        }
      })
    })
    const { report } = await runCliJson([`tcp://127.0.0.1:${port}`, '-c', '1', '-d', '400ms'])
    expect(closed).toBe(1)
    expect(report.errors.closedByServer).toBe(1)
    expect(report.results.messages).toBeGreaterThan(10)
  })

  test('a refused target: connect errors and exit code 1 (nothing completed), without waiting the duration', async () => {
    // a port that was just free: listen on port 0, read the port, close
    const probe = net.createServer()
    probe.listen(0, '127.0.0.1')
    await once(probe, 'listening', { signal: AbortSignal.timeout(2000) })
    const closedPort = (probe.address() as net.AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    const { code, report, stderr } = await runCliJson([`tcp://127.0.0.1:${closedPort}`, '-c', '3', '-d', '10s'])
    expect(code).toBe(1)
    expect(report.errors.connect).toBeGreaterThanOrEqual(3)
    expect(report.errorDetails.connect).toContain('ECONNREFUSED')
    expect(report.results.messages).toBe(0)
    expect(report.results.durationMs).toBe(0)
    expect(stderr).toContain('messages')
  })
})

describe('a server that stalls', () => {
  /** Echoes, except that every echo is held back between 300 ms and 700 ms after the first byte arrived. */
  async function startStallingEcho(): Promise<number> {
    let firstByte = 0
    return startTcpServer((socket) => {
      const held: Buffer[] = []
      let timer: NodeJS.Timeout | undefined
      socket.on('close', () => clearTimeout(timer))
      socket.on('data', (chunk: Buffer) => {
        const now = Date.now()
        if (firstByte === 0) firstByte = now
        const stallFrom = firstByte + 300
        const stallTo = firstByte + 700
        // once anything is held, later chunks queue behind it (a late timer must not reorder the stream)
        if ((now >= stallFrom && now < stallTo) || held.length > 0) {
          held.push(chunk)
          timer ??= setTimeout(
            () => {
              timer = undefined
              for (const part of held.splice(0)) socket.write(part)
            },
            Math.max(0, stallTo - now),
          )
        } else {
          socket.write(chunk)
        }
      })
    })
  }

  test('messages not echoed within --timeout are counted as timeouts', async () => {
    const port = await startStallingEcho()
    const { report } = await runCliJson([`tcp://127.0.0.1:${port}`, '-c', '1', '-d', '1s', '--timeout', '100ms'])
    expect(report.errors.timeout).toBeGreaterThanOrEqual(1)
    expect(report.errorDetails.timeout).toBeDefined()
    expect(report.results.connections.connects).toBeGreaterThanOrEqual(2)
  })

  test('with --rate the stall shows in p99 (coordinated omission corrected); the closed model hides it', async () => {
    const openPort = await startStallingEcho()
    const closedPort = await startStallingEcho()
    const [open, closed] = await Promise.all([
      runCliJson([`tcp://127.0.0.1:${openPort}`, '-c', '1', '-r', '500', '-d', '1s']),
      runCliJson([`tcp://127.0.0.1:${closedPort}`, '-c', '1', '-p', '1', '-d', '1s']),
    ])
    expect(open.report.errors.total).toBe(0)
    expect(closed.report.errors.total).toBe(0)
    // open model: every message intended during the 400 ms stall waits for its end: p99 close to 400 ms
    expect(open.report.results.latencyMs.p99).toBeGreaterThan(250)
    // closed model: only one message waited; its p99 is far below the open model's
    expect(closed.report.results.latencyMs.max).toBeGreaterThan(250)
    expect(closed.report.results.latencyMs.p99).toBeLessThan(open.report.results.latencyMs.p99 / 2)
  })
})

describe('TLS and UDP', () => {
  test('TLS echo with a self-signed certificate: --insecure works, and so does --ca', async () => {
    const credentials = makeCertificate()
    const port = await startTlsEcho(credentials)
    const insecure = await runCliJson([`tls://127.0.0.1:${port}`, '-c', '2', '-p', '2', '-d', '400ms', '--insecure'])
    expect(insecure.code).toBe(0)
    expect(checkSchema(insecure.report, schema)).toEqual([])
    expect(insecure.report.errors.total).toBe(0)
    expect(insecure.report.results.messages).toBeGreaterThan(0)
    expect(insecure.report.config.tls).toEqual({ insecure: true, servername: null, ca: false })
    const trusted = await runCliJson([
      `tls://127.0.0.1:${port}`,
      '-c',
      '1',
      '-d',
      '300ms',
      '--ca',
      credentials.certFile,
    ])
    expect(trusted.code).toBe(0)
    expect(trusted.report.errors.total).toBe(0)
    expect(trusted.report.config.tls?.ca).toBe(true)
  })

  test('TLS without --insecure or --ca refuses a self-signed certificate: connect errors, exit 1', async () => {
    const port = await startTlsEcho(makeCertificate())
    const { code, report } = await runCliJson([`tls://127.0.0.1:${port}`, '-c', '1', '-d', '300ms'])
    expect(code).toBe(1)
    expect(report.errors.connect).toBeGreaterThanOrEqual(1)
    expect(report.errorDetails.connect).toMatch(/self[- ]signed|certificate/i)
  })

  test('UDP echo: one datagram per message, 0 errors', async () => {
    const port = await startUdpEcho()
    const { code, report } = await runCliJson([
      `udp://127.0.0.1:${port}`,
      '-c',
      '2',
      '-p',
      '2',
      '-d',
      '400ms',
      '--protocol',
      'length-field',
    ])
    expect(code).toBe(0)
    expect(checkSchema(report, schema)).toEqual([])
    expect(report.config.transport).toBe('udp')
    expect(report.results.messages).toBeGreaterThan(0)
    expect(report.errors.total).toBe(0)
  })
})

describe('command line', () => {
  test('a usage error exits 2 with a message on stderr and nothing on stdout', async () => {
    const { code, stdout, stderr } = await runCli(['tcp://127.0.0.1:1', '-d', 'soon'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('--duration')
  })

  test('violated thresholds exit 1 and are named on stderr', async () => {
    const port = await startTcpServer(echo)
    const { code, report, stderr } = await runCliJson([
      `tcp://127.0.0.1:${port}`,
      '-c',
      '1',
      '-d',
      '300ms',
      '--max-p99',
      '1us',
      '--min-rate',
      '1M',
    ])
    expect(code).toBe(1)
    expect(
      report.thresholds.checks
        .filter((check: { passed: boolean }) => !check.passed)
        .map((check: { name: string }) => check.name),
    ).toEqual(['max-p99', 'min-rate'])
    expect(stderr).toContain('max-p99')
    expect(stderr).toContain('min-rate')
  })
})

describe('request/reply against a server nobody here wrote: redis-server', () => {
  test('--protocol line -m PING --expect +PONG -c 100 -p 16: every inline PING answered +PONG, exit 0', async () => {
    const redis = await startRedisServer()
    onTestFinished(() => redis.stop())
    const { code, report, stderr } = await runCliJson([
      ...['--protocol', 'line', '-m', 'PING', '--expect', '+PONG'],
      ...['-c', '100', '-p', '16', '-d', '500ms', `tcp://127.0.0.1:${redis.port}`],
    ])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(checkSchema(report, schema)).toEqual([])
    expect(report.config).toMatchObject({ mode: 'request-reply', expect: '"+PONG"', messageBytes: 6 })
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(1600)
    // "+PONG\r\n" is 7 bytes; a reply cut by the end of the run counts its bytes, not a message
    expect(report.results.bytesIn).toBeGreaterThanOrEqual(7 * report.results.messages)
    expect(report.results.bytesIn).toBeLessThan(7 * (report.results.messages + 1600))
  })

  test('a wrong expectation (+PANG) makes every reply a mismatch, and the run fails', async () => {
    const redis = await startRedisServer()
    onTestFinished(() => redis.stop())
    const { code, report } = await runCliJson([
      ...['--protocol', 'line', '-m', 'PING', '--expect', '+PANG', '-c', '2', '-p', '4', '-d', '300ms'],
      `tcp://127.0.0.1:${redis.port}`,
    ])
    expect(code).toBe(1)
    expect(report.results.messages).toBe(0)
    expect(report.errors.mismatch).toBeGreaterThan(0)
    expect(report.errorDetails.mismatch).toContain('the reply is not "+PANG"')
  })

  test('--expect-match and --expect any against redis replies', async () => {
    const redis = await startRedisServer()
    onTestFinished(() => redis.stop())
    for (const expectation of [
      ['--expect-match', '^\\+P[O]NG$'],
      ['--expect', 'any'],
    ]) {
      const { code, report } = await runCliJson([
        ...['--protocol', 'line', '-m', 'PING', ...expectation, '-c', '4', '-p', '4', '-d', '300ms'],
        `tcp://127.0.0.1:${redis.port}`,
      ])
      expect(code).toBe(0)
      expect(report.errors.total).toBe(0)
      expect(report.results.messages).toBeGreaterThan(0)
    }
  })
})

describe('stopping a run early', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s stops the run, still prints the report (STOPPED EARLY), and exits %i, not 0',
    async (name, exitCode) => {
      let receiving: () => void = () => {}
      const received = new Promise<void>((resolve) => {
        receiving = resolve
      })
      const port = await startTcpServer((socket) => {
        socket.on('data', (chunk) => {
          receiving()
          socket.write(chunk)
        })
      })
      const child = spawn(process.execPath, [cliPath, `tcp://127.0.0.1:${port}`, '-c', '2', '-d', '60s'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      onTestFinished(() => {
        if (child.exitCode === null) child.kill('SIGKILL')
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
      })
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text
      })
      await received
      child.kill(name)
      const [code] = (await once(child, 'exit', { signal: AbortSignal.timeout(10_000) })) as [number | null]
      expect(code).toBe(exitCode)
      expect(stdout).toContain('STOPPED EARLY')
      expect(stdout).toContain('msgs/s')
      expect(stderr).toContain(`socketlite-load: error: stopped by ${name} before the end of the run`)
    },
  )
})

describe('error messages', () => {
  test('an unknown flag: "socketlite-load: error: …" and where to look, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(['--bogus', 'tcp://127.0.0.1:1'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe("socketlite-load: error: unknown option '--bogus'\n(see socketlite-load --help)\n")
  })
})
