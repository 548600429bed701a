import { connectTcp } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { lineReader } from './line-reader.js'
import { runMain } from './run-main.js'

async function ask(port: number, line: string) {
  const socket = await connectTcp(port)
  onTestFinished(() => {
    socket.destroy()
  })
  socket.write(`${line}\r\n`)
  return lineReader(socket).next()
}

test('node dist/main.js --port 0 runs a gate and its own backend, and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(['--port', '0'], 2)
  const [, gatePort] = main.ports
  expect(await ask(gatePort ?? 0, 'ECHO through the gate')).toBe('through the gate')
  expect(await main.stop()).toBe(0)
})

test('a backend alone (--backend) and a gate pointed at it (--backend-port)', async () => {
  const backend = await runMain(['--backend', '--port', '0'])
  const gate = await runMain(['--port', '0', '--backend-port', String(backend.ports[0])])
  expect(await ask(gate.ports[0] ?? 0, 'PLAYERS')).toBe('PLAYERS 1')
  expect(await gate.stop()).toBe(0)
  expect(await backend.stop()).toBe(0)
})
