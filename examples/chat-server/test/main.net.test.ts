import { connectLineClient, runMain } from '@socketlite/testing'
import { expect, test } from 'vitest'

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
