import { connectTcp } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { lineReader } from './line-reader.js'
import { runMain } from './run-main.js'

test.each([[[]], [['--two-servers']]])(
  'node dist/main.js --port 0 --internal-port 0 %j serves both ports and stops on SIGTERM with exit code 0',
  async (extra: string[]) => {
    const main = await runMain(['--port', '0', '--internal-port', '0', ...extra], 2)
    const [externalPort, internalPort] = main.ports
    const client = await connectTcp(externalPort ?? 0)
    const backend = await connectTcp(internalPort ?? 0)
    onTestFinished(() => {
      client.destroy()
      backend.destroy()
    })
    const clientLines = lineReader(client)
    const backendLines = lineReader(backend)
    client.write('ECHO ready\r\n')
    expect(await clientLines.next()).toBe('ready')
    backend.write('NOTICE hello\r\n')
    expect(await backendLines.next()).toBe('SENT 1')
    expect(await clientLines.next()).toBe('NOTICE hello')
    expect(await main.stop()).toBe(0)
  },
)
