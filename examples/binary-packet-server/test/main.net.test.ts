import { connectTcp, readBytes, runMain, testCommandLineConventions } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { encodePacket } from '../src/binary-packet.js'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

test('node dist/main.js --port 0 serves echoes and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(builtMain, ['--port', '0'])
  const client = await connectTcp(main.ports[0] ?? 0)
  onTestFinished(() => {
    client.destroy()
  })
  client.write(encodePacket({ packetId: 1, value1: 0, value2: 0, body: Buffer.from('hi') }))
  expect((await readBytes(client, 10)).toString('hex')).toBe('01000000020000006869')
  expect(await main.stop()).toBe(0)
})

testCommandLineConventions({
  main: builtMain,
  name: 'binary-packet-server',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--port', 'abc'], ['--port', '70000']],
})
