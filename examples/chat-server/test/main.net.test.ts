import { connectLineClient, runMain, startRedisServer, testCommandLineConventions } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'

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

testCommandLineConventions({
  main: builtMain,
  name: 'chat-server',
  helpMentions: ['--port <port>'],
  usageErrors: [['--bogus'], ['--port', 'abc'], ['extra-argument'], ['--redis', 'localhost:6379']],
})

test('two processes with --redis on two ports: clients on both see each other', async () => {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  const one = await runMain(builtMain, ['--port', '0', '--redis', redis.url])
  const two = await runMain(builtMain, ['--port', '0', '--redis', redis.url])
  const ann = await connectLineClient(one.ports[0] ?? 0)
  const bob = await connectLineClient(two.ports[0] ?? 0)
  ann.say('LOGIN ann\r\nENTER 5')
  expect([await ann.next(), await ann.next(), await ann.next()]).toEqual(['LOGIN OK ann', 'ENTER OK 5', 'USERS 5 ann'])
  bob.say('LOGIN bob\r\nENTER 5')
  expect([await bob.next(), await bob.next(), await bob.next()]).toEqual(['LOGIN OK bob', 'ENTER OK 5', 'USERS 5 bob'])
  expect(await ann.next()).toBe('JOINED bob')
  bob.say('CHAT hello ann')
  expect(await ann.next()).toBe('CHAT bob hello ann')
  expect(await bob.next()).toBe('CHAT bob hello ann')
  expect(await one.stop()).toBe(0)
  expect(await two.stop()).toBe(0)
})
