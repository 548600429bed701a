import { connectLineClient, runMain, testCommandLineConventions } from '@socketlite/testing'
import { expect, test } from 'vitest'

/** The program the README runs, as built by `build` (or by test/global-setup.ts). */
const builtMain = new URL('../dist/main.js', import.meta.url)

test.each([[[]], [['--two-servers']]])(
  'node dist/main.js --port 0 --internal-port 0 %j serves both ports and stops on SIGTERM with exit code 0',
  async (extra: string[]) => {
    const main = await runMain(builtMain, ['--port', '0', '--internal-port', '0', ...extra], {
      listening: 2,
    })
    const [externalPort, internalPort] = main.ports
    const client = await connectLineClient(externalPort ?? 0)
    const backend = await connectLineClient(internalPort ?? 0)
    expect(await client.ask('ECHO ready')).toBe('ready')
    expect(await backend.ask('NOTICE hello')).toBe('SENT 1')
    expect(await client.next()).toBe('NOTICE hello')
    expect(await main.stop()).toBe(0)
  },
)

testCommandLineConventions({
  main: builtMain,
  name: 'multi-port-server',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--internal-port', '70000'], ['--two-servers=yes']],
})
