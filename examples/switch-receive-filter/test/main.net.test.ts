import { connectLineClient, runMain, testCommandLineConventions } from '@socketlite/testing'
import { expect, test } from 'vitest'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

test('node dist/main.js --port 0 answers both framings and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(builtMain, ['--port', '0'])
  const lines = await connectLineClient(main.ports[0] ?? 0)
  lines.socket.write(Buffer.from('YECHO hello\u0000\u00ff*ECHO world#', 'latin1'))
  expect([await lines.next(), await lines.next()]).toEqual(['hello', 'world'])
  expect(await main.stop()).toBe(0)
})

testCommandLineConventions({
  main: builtMain,
  name: 'switch-receive-filter',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--port', '-1'], ['--port']],
})
