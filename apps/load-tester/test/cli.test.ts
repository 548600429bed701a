import { Writable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { createProgram, exitCodes, main } from '../src/cli-program.js'

function capture(): { stream: Writable; text: () => string } {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk)
      callback()
    },
  })
  return { stream, text: () => text }
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture()
  const stderr = capture()
  const code = await main(['node', 'socketlite-load', ...args], { stdout: stdout.stream, stderr: stderr.stream })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('socketlite-load command line (in process)', () => {
  test.each([
    [['--bogus', 'tcp://127.0.0.1:1']],
    [[]],
    [['tcp://127.0.0.1:1', '-d', 'soon']],
    [['tcp://127.0.0.1:1', '-c', '0']],
    [['http://127.0.0.1:1']],
    [['tcp://127.0.0.1:1', '-p', '2', '-r', '100']],
    [['tcp://127.0.0.1:1', '-m', 'x', '-s', '8']],
    [['tcp://127.0.0.1:1', '--protocol', 'http']],
    [['tcp://127.0.0.1:1', '--byte-order', 'middle']],
    [['tcp://127.0.0.1:1', '--length-field-length', '5']],
    [['tcp://127.0.0.1:1', '--length-adjustment', '1.5']],
    [['tcp://127.0.0.1:1', '--spliter', '##']],
    [['tcp://127.0.0.1:1', '--count', '1']],
    [['tcp://127.0.0.1:1', '-m', 'bad\\q']],
    [['tcp://127.0.0.1:1', '-m', 'a', '--message-file', 'b']],
    [['tcp://127.0.0.1:1', '--message-file', '/nonexistent/file']],
    [['tcp://127.0.0.1:1', '--ca', '/nonexistent/ca.pem']],
    [['tcp://127.0.0.1:1', '-m', 'a\\r\\nb']],
    [['tcp://127.0.0.1:1', '--protocol', 'begin-end', '-m', 'a$b']],
    [['udp://127.0.0.1:1', '--protocol', 'raw', '-s', '70000']],
    [['tcp://127.0.0.1:1', '--max-p99', 'fast']],
  ])('%j is a usage error: exit 2, a message on stderr, nothing on stdout', async (args) => {
    const { code, stdout, stderr } = await run(args)
    expect(code).toBe(exitCodes.usage)
    expect(stdout).toBe('')
    expect(stderr.length).toBeGreaterThan(0)
  })

  test('--help lists every option of the contract and exits 0', async () => {
    const { code, stdout } = await run(['--help'])
    expect(code).toBe(exitCodes.ok)
    for (const flag of [
      '--connections',
      '--connect-rate',
      '--duration',
      '--warmup',
      '--pipeline',
      '--rate',
      '--message',
      '--message-file',
      '--size',
      '--protocol',
      '--terminator',
      '--length-field-length',
      '--length-field-offset',
      '--byte-order',
      '--length-adjustment',
      '--begin-mark',
      '--end-mark',
      '--spliter',
      '--count',
      '--insecure',
      '--ca',
      '--servername',
      '--timeout',
      '--workers',
      '--json',
      '--html',
      '--quiet',
      '--max-p99',
      '--min-rate',
      '--max-errors',
    ]) {
      expect(stdout).toContain(flag)
    }
  })

  test('--version prints the version and exits 0', async () => {
    const { code, stdout } = await run(['--version'])
    expect(code).toBe(exitCodes.ok)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  test('short flags and defaults', () => {
    const program = createProgram()
    program.parse(['node', 'socketlite-load', 'tcp://127.0.0.1:1', '-c', '5', '-d', '2s', '-p', '4', '-s', '1k'])
    expect(program.opts()).toMatchObject({
      connections: 5,
      duration: 2000,
      pipeline: 4,
      size: 1024,
      connectRate: 1000,
      timeout: 5000,
      workers: 1,
      protocol: 'line',
      json: false,
      quiet: false,
      insecure: false,
    })
  })
})
