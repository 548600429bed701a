import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { connectLineClient, runMain } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

async function ask(port: number, line: string) {
  return (await connectLineClient(port)).ask(line)
}

test('node dist/main.js --port 0 runs a gate and its own backend, and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(builtMain, ['--port', '0'], { listening: 2 })
  const [, gatePort] = main.ports
  expect(await ask(gatePort ?? 0, 'ECHO through the gate')).toBe('through the gate')
  expect(await main.stop()).toBe(0)
})

test('a backend alone (--backend) and a gate pointed at it (--backend-port)', async () => {
  const backend = await runMain(builtMain, ['--backend', '--port', '0'])
  const gate = await runMain(builtMain, ['--port', '0', '--backend-port', String(backend.ports[0])])
  expect(await ask(gate.ports[0] ?? 0, 'PLAYERS')).toBe('PLAYERS 1')
  expect(await gate.stop()).toBe(0)
  expect(await backend.stop()).toBe(0)
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

test.each([[['--bogus']], [['--backend', '--backend-port', '1']], [['--backend-port', 'x']]])(
  '%j is a usage error: exit 2, one "gate-server: error: …" message, no stack trace',
  async (args: string[]) => {
    const { code, stdout, stderr } = await runToExit(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^gate-server: error: \S[^\n]*\n\(see node dist\/main\.js --help\)\n$/)
    expect(stderr).not.toMatch(/\n\s+at /)
  },
)
