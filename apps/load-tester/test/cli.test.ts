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
    [['tcp://127.0.0.1:1', '--expect', 'a', '--expect-match', 'b']],
    [['tcp://127.0.0.1:1', '--expect-match', '(']],
    [['tcp://127.0.0.1:1', '--protocol', 'raw', '--expect', 'any']],
    [['tcp://127.0.0.1:1', '--protocol', 'raw', '--expect-match', 'x']],
    [['tcp://127.0.0.1:1', '--expect', 'a\\r\\nb']],
    [['tcp://127.0.0.1:1', '--expect', 'OK', '--no-verify']],
  ])('%j is a usage error: exit 2, a message on stderr, nothing on stdout', async (args) => {
    const { code, stdout, stderr } = await run(args)
    expect(code).toBe(exitCodes.usage)
    expect(stdout).toBe('')
    // one convention for every problem, shared with socketlite-echo: "<tool>: error: <what>", then where to look
    expect(stderr).toMatch(/^socketlite-load: error: \S/)
    expect(stderr).toMatch(/\(see socketlite-load --help\)\n$/)
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
      '--expect',
      '--expect-match',
      '--no-verify',
    ]) {
      expect(stdout).toContain(flag)
    }
  })

  test('--help writes every default one way, "(…default: x)", never quoted, never "(default x)"', async () => {
    const { stdout } = await run(['--help'])
    const help = stdout.replace(/\s+/g, ' ')
    expect(help).not.toMatch(/\(default [^:]/i)
    expect(help).not.toMatch(/; default [^:]/i)
    expect(help).not.toMatch(/default: "/)
    expect(help).not.toMatch(/choices: "/)
    for (const shown of [
      '(default: 10)',
      '(default: 1000)',
      '(default: the --timeout value)',
      '(default: 10s)',
      '(default: 0s)',
      '(default: 1)',
      '(default: 32)',
      '(choices: line, terminator, fixed-size, length-field, begin-end, count-spliter, raw; default: line)',
      '(default: \\r\\n)',
      '(choices: 1, 2, 3, 4, 8; default: 4)',
      '(choices: be, le; default: be)',
      '(default: 5s)',
      '(default: the target host)',
    ]) {
      expect(help).toContain(shown)
    }
  })

  test('the exit codes are documented in --help, Ctrl-C (130) and SIGTERM (143) included', async () => {
    const { stdout } = await run(['--help'])
    expect(stdout).toContain('130 stopped by Ctrl-C')
    expect(stdout).toContain('143 by SIGTERM')
    expect(exitCodes).toMatchObject({ ok: 0, thresholdFailed: 1, usage: 2, interrupted: 130, terminated: 143 })
  })

  test('--expect, --expect any, --expect-match and --no-verify parse into request/reply options', () => {
    const parse = (...args: string[]) => {
      const program = createProgram()
      program.parse(['node', 'socketlite-load', 'tcp://127.0.0.1:1', ...args])
      return program.opts()
    }
    expect(parse('--expect', '+PONG\\r').expect).toEqual({
      kind: 'exact',
      payload: Uint8Array.of(43, 80, 79, 78, 71, 13),
    })
    expect(parse('--expect', 'any').expect).toEqual({ kind: 'any' })
    expect(parse('--expect-match', '/^ok/i').expectMatch).toEqual(/^ok/i)
    expect(parse('--no-verify').verify).toBe(false)
    expect(parse().verify).toBe(true)
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
