import { connectTcp } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { lineReader } from './line-reader.js'
import { runMain } from './run-main.js'

test('node dist/main.js --port 0 runs the chat and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(['--port', '0'])
  const socket = await connectTcp(main.ports[0] ?? 0)
  onTestFinished(() => {
    socket.destroy()
  })
  const lines = lineReader(socket)
  socket.write('LOGIN eve\r\nENTER 3\r\nCHAT hi\r\n')
  expect([await lines.next(), await lines.next(), await lines.next(), await lines.next()]).toEqual([
    'LOGIN OK eve',
    'ENTER OK 3',
    'USERS 3 eve',
    'CHAT eve hi',
  ])
  expect(await main.stop()).toBe(0)
})
