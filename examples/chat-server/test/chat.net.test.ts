import { silentLogFactory } from '@socketlite/app-server'
import { RedisAdapter } from '@socketlite/redis-adapter'
import { connectLineClient, startRedisServer } from '@socketlite/testing'
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

test('two instances on one Redis: rooms span both, capacity counts both, leaving is seen on both', async () => {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  const one = await startChat({ adapter: new RedisAdapter({ url: redis.url }), maxUsersPerRoom: 3 })
  const two = await startChat({ adapter: new RedisAdapter({ url: redis.url }), maxUsersPerRoom: 3 })
  const ann = await client(one.port)
  const bob = await client(two.port)
  const cid = await client(two.port)
  const dan = await client(one.port)
  for (const [each, name] of [
    [ann, 'ann'],
    [bob, 'bob'],
    [cid, 'cid'],
    [dan, 'dan'],
  ] as const)
    expect(await each.ask(`LOGIN ${name}`)).toBe(`LOGIN OK ${name}`)

  expect(await ann.ask('ENTER 1')).toBe('ENTER OK 1')
  expect(await ann.hear()).toBe('USERS 1 ann')
  expect(await bob.ask('ENTER 1')).toBe('ENTER OK 1')
  expect(await bob.hear()).toBe('USERS 1 bob') // USERS lists the room's users on this instance
  expect(await ann.hear()).toBe('JOINED bob') // from the other instance
  expect(await cid.ask('ENTER 1')).toBe('ENTER OK 1')
  await cid.hear()
  expect(await ann.hear()).toBe('JOINED cid')
  expect(await bob.hear()).toBe('JOINED cid')
  expect(await dan.ask('ENTER 1')).toBe('ENTER FAIL full') // three seats, taken on both instances

  ann.say('CHAT hello from one')
  expect(await ann.hear()).toBe('CHAT ann hello from one')
  expect(await bob.hear()).toBe('CHAT ann hello from one')
  expect(await cid.hear()).toBe('CHAT ann hello from one')
  bob.say('CHAT hi from two')
  expect(await ann.hear()).toBe('CHAT bob hi from two')
  expect(await cid.hear()).toBe('CHAT bob hi from two')
  expect(await bob.hear()).toBe('CHAT bob hi from two')

  bob.socket.destroy()
  expect(await ann.hear()).toBe('LEFT bob')
  expect(await cid.hear()).toBe('LEFT bob')
  expect(await dan.ask('ENTER 1')).toBe('ENTER OK 1') // bob's seat is free again, service-wide
})
