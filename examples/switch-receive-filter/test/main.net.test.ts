import { connectTcp } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { lineReader } from './line-reader.js'
import { runMain } from './run-main.js'

test('node dist/main.js --port 0 answers both framings and stops on SIGTERM with exit code 0', async () => {
  const main = await runMain(['--port', '0'])
  const client = await connectTcp(main.ports[0] ?? 0)
  onTestFinished(() => {
    client.destroy()
  })
  const lines = lineReader(client)
  client.write(Buffer.from('YECHO hello\u0000\u00ff*ECHO world#', 'latin1'))
  expect([await lines.next(), await lines.next()]).toEqual(['hello', 'world'])
  expect(await main.stop()).toBe(0)
})
