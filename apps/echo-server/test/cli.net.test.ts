import dgram from 'node:dgram'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBytes, readUntilEnd, seededRandom } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { echoProtocolNames } from '../src/index.js'
import { randomFrames } from './frames.js'
import { echoCli, endpointOf, loadCli, spawnNode, startEchoProcess, waitEvent } from './processes.js'

async function connect(url: string): Promise<net.Socket> {
  const socket = net.connect(endpointOf(url))
  onTestFinished(() => {
    socket.destroy()
  })
  await waitEvent(socket, 'connect')
  return socket
}

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'socketlite-echo-e2e-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

describe('socketlite-echo (the built binary)', () => {
  test('every --protocol: frames split across writes come back byte-identical; SIGTERM and SIGINT exit 0', async () => {
    // One server process per protocol, all at once (a process takes about half a second to start here).
    await Promise.all(
      echoProtocolNames.map(async (protocol, index) => {
        const { process: echo, urls } = await startEchoProcess(['--port', '0', '--protocol', protocol])
        expect(urls).toEqual([expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/)])
        const socket = await connect(urls[0] as string)
        const stream = Buffer.concat(randomFrames(protocol, 12, seededRandom(index + 1)))
        const third = Math.floor(stream.length / 3)
        for (const piece of [
          stream.subarray(0, third),
          stream.subarray(third, 2 * third),
          stream.subarray(2 * third),
        ]) {
          await new Promise<void>((resolve) => socket.write(piece, () => resolve()))
        }
        expect(await readBytes(socket, stream.length, 5_000), protocol).toEqual(stream)
        echo.child.kill(index % 2 === 0 ? 'SIGTERM' : 'SIGINT')
        expect(await echo.exit(), protocol).toBe(0)
        expect(echo.lines).toEqual([`listening ${urls[0]}`])
      }),
    )
  })

  test('several listeners (--listen, IPv4 and IPv6): one line each, in order, each serving', async () => {
    const { process: echo, urls } = await startEchoProcess(
      ['--listen', 'tcp://127.0.0.1:0', '--listen', 'tcp://[::1]:0', '--protocol', 'length-field'],
      2,
    )
    expect(urls).toEqual([
      expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^tcp:\/\/\[::1\]:\d+$/),
    ])
    for (const url of urls) {
      const socket = await connect(url)
      const frame = Buffer.from([0, 0, 0, 2, 0x68, 0x69])
      socket.write(frame)
      expect(await readBytes(socket, frame.length)).toEqual(frame)
    }
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
  })

  test('--config: endpoints and limits from the file, flags win', async () => {
    const config = await tempFile(
      'server.json',
      JSON.stringify({
        listeners: [{ ip: '127.0.0.1', port: 0 }],
        maxRequestLength: 8,
        logBasicSessionActivity: false,
      }),
    )
    const { process: echo, urls } = await startEchoProcess(['--config', config, '--max-request-length', '16'])
    const socket = await connect(urls[0] as string)
    socket.write('12345678901234\r\n') // 16 bytes: over the file's limit, within the flag's
    expect((await readBytes(socket, 16)).toString()).toBe('12345678901234\r\n')
    socket.write(`${'x'.repeat(20)}\r\n`)
    expect((await readUntilEnd(socket)).length).toBe(0) // over the limit: the session is closed
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
  })

  test('an invalid --config file: exit 2, every bad field on stderr, nothing on stdout', async () => {
    const config = await tempFile(
      'server.json',
      JSON.stringify({ port: 70_000, ip: 'localhost', mode: 'sctp', sendHighWaterMark: 0, extra: 1 }),
    )
    const echo = spawnNode(echoCli, ['--config', config])
    expect(await echo.exit()).toBe(2)
    for (const field of ['port', 'ip', 'mode', 'sendHighWaterMark', 'extra']) expect(echo.stderr()).toContain(field)
    expect(echo.lines).toEqual([])
  })

  test('a bad flag: exit 2 with a usage message on stderr, nothing on stdout', async () => {
    const echo = spawnNode(echoCli, ['--port', '0', '--bogus'])
    expect(await echo.exit()).toBe(2)
    expect(echo.stderr()).toBe("socketlite-echo: error: unknown option '--bogus'\n(see socketlite-echo --help)\n")
    expect(echo.lines).toEqual([])
  })

  test('a port in use: exit 1 with the reason on stderr', async () => {
    const { process: first, urls } = await startEchoProcess(['--port', '0'])
    const { port } = endpointOf(urls[0] as string)
    const second = spawnNode(echoCli, ['--port', String(port)])
    expect(await second.exit()).toBe(1)
    expect(second.stderr()).toMatch(/^socketlite-echo: error: /)
    expect(second.stderr()).toMatch(/EADDRINUSE|in use|listen/i)
    first.child.kill('SIGTERM')
    expect(await first.exit()).toBe(0)
  })

  test('SIGTERM while a client has replies pending: exit 0, and the client gets every reply', async () => {
    const { process: echo, urls } = await startEchoProcess(['--port', '0', '--log-level', 'info'])
    const socket = await connect(urls[0] as string)
    const frames = randomFrames('line', 1000, seededRandom(9), {}, 30) // ~17 KiB: one chunk for the server
    const stream = Buffer.concat(frames)
    socket.write(stream)
    const first = await readBytes(socket, 1) // the server is answering the chunk
    socket.pause() // the replies now wait in the kernel and in the server's queue
    echo.child.kill('SIGTERM')
    const rest = await readUntilEnd(socket, 10_000)
    expect(Buffer.concat([first, rest]).equals(stream)).toBe(true)
    expect(await echo.exit()).toBe(0)
    expect(echo.stderr()).toContain('ServerShutdown')
  })

  test('the stop is one summary line on a terminal (pretty logs); the statistics only at debug level', async () => {
    for (const level of ['info', 'debug']) {
      const { process: echo, urls } = await startEchoProcess([
        ...['--port', '0', '--log-format', 'pretty', '--log-level', level],
      ])
      const socket = await connect(urls[0] as string)
      socket.write('one\r\ntwo\r\n')
      await readBytes(socket, 10)
      echo.child.kill('SIGTERM')
      expect(await echo.exit()).toBe(0)
      const afterStop = echo.stderr().slice(echo.stderr().indexOf('Stopping:'))
      const summary = afterStop.split('\n').filter((line) => line.includes('Stopped after'))
      expect(summary).toHaveLength(1)
      expect(summary[0]).toMatch(/Stopped after [\d.]+ m?s: 1 session, 2 requests, 10 B in, 10 B out; closed: 1 \w+/)
      if (level === 'info') {
        expect(afterStop).not.toContain('trySendRefused')
        // "Stopping" and its reason, the session's close, the app-server's "Server stopped", the summary: a handful of
        // lines, not the forty the statistics take when pretty-printed
        expect(afterStop.trimEnd().split('\n').length).toBeLessThan(10)
      } else {
        expect(afterStop).toContain('Final statistics')
        expect(afterStop).toContain('trySendRefused')
      }
    }
  })

  test('--cluster 2: one set of listening lines with the shared port, both workers serve, a dead worker is replaced, SIGTERM stops all', async () => {
    const { process: echo, urls } = await startEchoProcess(['--port', '0', '--cluster', '2', '--log-level', 'info'])
    expect(urls).toEqual([expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/)])
    const roundTrip = async (count: number, tag: string): Promise<void> => {
      const sockets = await Promise.all(Array.from({ length: count }, () => connect(urls[0] as string)))
      await Promise.all(
        sockets.map(async (socket, index) => {
          const line = `${tag} ${index}\r\n`
          socket.write(line)
          expect((await readBytes(socket, line.length)).toString()).toBe(line)
        }),
      )
    }
    await roundTrip(6, 'client')
    const workers = new Set([...echo.stderr().matchAll(/"worker":(\d+)[^\n]*Session connected/g)].map((m) => m[1]))
    expect(workers.size).toBe(2) // round-robin: both workers got connections
    const pid = Number(/"pid":(\d+),"worker":1,/.exec(echo.stderr())?.[1])
    process.kill(pid, 'SIGKILL')
    await echo.waitForStderr(/A worker died; starting a new one/)
    await echo.waitForStderr(/"worker":1,[^\n]*Echo server listening[\s\S]*"worker":1,[^\n]*Echo server listening/)
    await roundTrip(4, 'after')
    echo.child.kill('SIGTERM')
    expect(await echo.exit(15_000)).toBe(0)
    expect(echo.lines).toHaveLength(1)
    expect(echo.stderr()).toContain('Cluster stopped')
  })

  test('--cluster 2 and Ctrl-C (SIGINT to the whole process group): exit 0, no worker replaced', async () => {
    const { process: echo, urls } = await startEchoProcess(
      ['--port', '0', '--cluster', '2', '--log-level', 'info'],
      1,
      {
        detached: true,
      },
    )
    const socket = await connect(urls[0] as string)
    socket.write('hi\r\n')
    expect((await readBytes(socket, 4)).toString()).toBe('hi\r\n')
    process.kill(-(echo.child.pid as number), 'SIGINT')
    expect(await echo.exit(15_000)).toBe(0)
    expect(echo.stderr()).not.toContain('starting a new one')
  })

  test('socketlite-load against socketlite-echo: 0 errors', async () => {
    const { process: echo, urls } = await startEchoProcess(['--port', '0', '--protocol', 'begin-end'])
    const load = spawnNode(loadCli, [
      ...[urls[0] as string, '--protocol', 'begin-end', '-c', '4', '-p', '8', '-d', '500ms', '--json'],
    ])
    expect(await load.exit(15_000)).toBe(0)
    const report = JSON.parse(load.lines.join('\n')) as { errors: { total: number }; results: { messages: number } }
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
  })

  test('--tls with no certificate: a self-signed one, trusted by socketlite-load --ca, deleted at exit', async () => {
    const { process: echo, urls } = await startEchoProcess(['--port', '0', '--tls', '--log-level', 'info'])
    expect(urls).toEqual([expect.stringMatching(/^tls:\/\/127\.0\.0\.1:\d+$/)])
    const certFile = /"certFile":"([^"]+)"/.exec(echo.stderr())?.[1] as string
    expect(existsSync(certFile)).toBe(true)
    const load = spawnNode(loadCli, [
      urls[0] as string,
      '--ca',
      certFile,
      '-c',
      '2',
      '-p',
      '4',
      '-d',
      '300ms',
      '--json',
    ])
    expect(await load.exit(15_000)).toBe(0)
    const report = JSON.parse(load.lines.join('\n')) as { errors: { total: number }; results: { messages: number } }
    expect(report.errors.total).toBe(0)
    expect(report.results.messages).toBeGreaterThan(0)
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
    expect(existsSync(certFile)).toBe(false)
  })

  test('--mode udp: each datagram comes back as it was sent', async () => {
    const { process: echo, urls } = await startEchoProcess(['--mode', 'udp', '--port', '0', '--protocol', 'begin-end'])
    expect(urls).toEqual([expect.stringMatching(/^udp:\/\/127\.0\.0\.1:\d+$/)])
    const { host, port } = endpointOf(urls[0] as string)
    const socket = dgram.createSocket('udp4')
    onTestFinished(() => {
      socket.close()
    })
    socket.connect(port, host)
    await waitEvent(socket, 'connect')
    for (const datagram of ['!one$', '!two$!three$']) {
      const reply = waitEvent(socket, 'message')
      socket.send(datagram)
      expect(String((await reply)[0])).toBe(datagram)
    }
    echo.child.kill('SIGTERM')
    expect(await echo.exit()).toBe(0)
  })
})
