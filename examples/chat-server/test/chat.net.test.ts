import { silentLogFactory } from '@socketlite/app-server'
import { connectLineClient } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { type ChatServerOptions, createChatServer } from '../src/server.js'

async function startChat(options: Partial<ChatServerOptions> = {}) {
  const server = createChatServer({ port: 0, logFactory: silentLogFactory, ...options })
  const [endpoint] = await server.start()
  onTestFinished(() => server.stop())
  return { server, port: endpoint?.port ?? 0 }
}

/** A scripted chat client: `say` sends a line, `hear` reads the next one. */
async function client(port: number) {
  const lines = await connectLineClient(port)
  return { ...lines, hear: () => lines.next() }
}

test('login, rooms, user lists, chat to the room only, and leaving on disconnect', async () => {
  const { port } = await startChat()
  const alice = await client(port)
  const bob = await client(port)
  const carol = await client(port)

  expect(await alice.ask('CHAT too early')).toBe('CHAT FAIL room')
  expect(await alice.ask('ENTER 1')).toBe('ENTER FAIL login')
  expect(await alice.ask('LOGIN alice')).toBe('LOGIN OK alice')
  expect(await alice.ask('LOGIN again')).toBe('LOGIN FAIL already')
  expect(await bob.ask('LOGIN alice')).toBe('LOGIN FAIL taken')
  expect(await bob.ask('LOGIN not a name')).toBe('LOGIN FAIL invalid')
  expect(await bob.ask('LOGIN bob')).toBe('LOGIN OK bob')
  expect(await carol.ask('LOGIN carol')).toBe('LOGIN OK carol')

  expect(await alice.ask('ENTER 100')).toBe('ENTER FAIL room')
  expect(await alice.ask('ENTER 1')).toBe('ENTER OK 1')
  expect(await alice.hear()).toBe('USERS 1 alice')
  expect(await alice.ask('ENTER 2')).toBe('ENTER FAIL already')
  expect(await bob.ask('ENTER 1')).toBe('ENTER OK 1')
  expect(await bob.hear()).toBe('USERS 1 alice bob')
  expect(await alice.hear()).toBe('JOINED bob')
  expect(await carol.ask('ENTER 2')).toBe('ENTER OK 2')
  expect(await carol.hear()).toBe('USERS 2 carol')

  alice.say('CHAT hello, room one!')
  expect(await alice.hear()).toBe('CHAT alice hello, room one!')
  expect(await bob.hear()).toBe('CHAT alice hello, room one!')
  expect(await carol.ask('CHAT only room two')).toBe('CHAT carol only room two') // carol heard nothing from room 1

  bob.socket.destroy()
  expect(await alice.hear()).toBe('LEFT bob')
  const bobAgain = await client(port)
  expect(await bobAgain.ask('LOGIN bob')).toBe('LOGIN OK bob') // the name was freed

  expect(await alice.ask('LEAVE')).toBe('LEAVE OK')
  expect(await alice.ask('LEAVE')).toBe('LEAVE FAIL room')
  expect(await alice.ask('DANCE')).toBe('ERROR unknown DANCE')
})

test('twelve clients rush into one room: the queue serializes them, exactly maxUsersPerRoom get in', async () => {
  const { port } = await startChat({ maxUsersPerRoom: 4 })
  const clients = await Promise.all(Array.from({ length: 12 }, () => client(port)))
  const logins = await Promise.all(clients.map((each, index) => each.ask(`LOGIN user${index}`)))
  expect(logins.every((line) => line?.startsWith('LOGIN OK'))).toBe(true)
  const answers = await Promise.all(clients.map((each) => each.ask('ENTER 7')))
  expect(answers.filter((line) => line === 'ENTER OK 7')).toHaveLength(4)
  expect(answers.filter((line) => line === 'ENTER FAIL full')).toHaveLength(8)
})

test('a pipelined script: every line of one write is answered in order', async () => {
  const { port } = await startChat()
  const dave = await client(port)
  dave.say('LOGIN dave\r\nENTER 0\r\nCHAT one\r\nCHAT two\r\nLEAVE')
  const heard = []
  for (let index = 0; index < 6; index++) heard.push(await dave.hear())
  expect(heard).toEqual(['LOGIN OK dave', 'ENTER OK 0', 'USERS 0 dave', 'CHAT dave one', 'CHAT dave two', 'LEAVE OK'])
})
