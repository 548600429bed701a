import { runMain, testCommandLineConventions } from '@socketlite/testing'
import { expect, test } from 'vitest'
import { encodeUdpPacket } from '../src/udp-packet.js'
import { udpClient } from './udp-client.js'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

test('node dist/main.js --port 0 answers over UDP and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(builtMain, ['--port', '0'], { scheme: 'udp' })
  const client = await udpClient(main.ports[0] ?? 0)
  const sessionId = '5f0c5a7e-8a55-4c8e-9d8c-0123456789ab'
  client.send(encodeUdpPacket('ECHO', sessionId, 'ping'))
  expect(await client.next()).toEqual({ key: 'ECHO', sessionId, value: 'ping' })
  expect(await main.stop()).toBe(0)
})

testCommandLineConventions({
  main: builtMain,
  name: 'udp-session-id',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--port', 'abc'], ['--port', '99999']],
})
