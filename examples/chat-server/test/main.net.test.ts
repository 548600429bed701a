import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { connectLineClient, runMain, startRedisServer } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

test('node dist/main.js --port 0 runs the chat and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(builtMain, ['--port', '0'])
  const lines = await connectLineClient(main.ports[0] ?? 0)
  lines.say('LOGIN eve\r\nENTER 3\r\nCHAT hi')
  expect([await lines.next(), await lines.next(), await lines.next(), await lines.next()]).toEqual([
    'LOGIN OK eve',
    'ENTER OK 3',
    'USERS 3 eve',
    'CHAT eve hi',
  ])
  expect(await main.stop()).toBe(0)
})

/** Runs the built program to its exit, collecting what it writes. */
async function runToExit(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [fileURLToPath(builtMain), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
  })
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  const [code] = (await once(child, 'close', { signal: AbortSignal.timeout(10_000) })) as [number | null]
  return { code, stdout, stderr }
}

test('--help (and -h) prints the usage on stdout and exits 0, starting nothing', async () => {
  for (const flag of ['--help', '-h']) {
    const { code, stdout, stderr } = await runToExit([flag])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^Usage: node dist\/main\.js /)
    expect(stdout).toContain('--port <port>')
    expect(stdout).not.toMatch(/^listening /m)
    expect(stderr).toBe('')
  }
})

test.each([[['--bogus']], [['--port', 'abc']], [['extra-argument']], [['--redis', 'localhost:6379']]])(
  '%j is a usage error: exit 2, one "chat-server: error: …" message, no stack trace',
  async (args: string[]) => {
    const { code, stdout, stderr } = await runToExit(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^chat-server: error: \S[^\n]*\n\(see node dist\/main\.js --help\)\n$/)
    expect(stderr).not.toMatch(/\n\s+at /)
  },
)

test('two processes with --redis on two ports: clients on both see each other', async () => {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  const one = await runMain(builtMain, ['--port', '0', '--redis', redis.url])
  const two = await runMain(builtMain, ['--port', '0', '--redis', redis.url])
  const ann = await connectLineClient(one.ports[0] ?? 0)
  const bob = await connectLineClient(two.ports[0] ?? 0)
  ann.say('LOGIN ann\r\nENTER 5')
  expect([await ann.next(), await ann.next(), await ann.next()]).toEqual(['LOGIN OK ann', 'ENTER OK 5', 'USERS 5 ann'])
  bob.say('LOGIN bob\r\nENTER 5')
  expect([await bob.next(), await bob.next(), await bob.next()]).toEqual(['LOGIN OK bob', 'ENTER OK 5', 'USERS 5 bob'])
  expect(await ann.next()).toBe('JOINED bob')
  bob.say('CHAT hello ann')
  expect(await ann.next()).toBe('CHAT bob hello ann')
  expect(await bob.next()).toBe('CHAT bob hello ann')
  expect(await one.stop()).toBe(0)
  expect(await two.stop()).toBe(0)
})
