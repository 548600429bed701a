import { connectLineClient, runMain, testCommandLineConventions } from '@socketlite/testing'
import { expect, test } from 'vitest'

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

testCommandLineConventions({
  main: builtMain,
  name: 'gate-server',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--backend', '--backend-port', '1'], ['--backend-port', 'x']],
})
