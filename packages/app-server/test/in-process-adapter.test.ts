import { fc, test as propertyTest } from '@fast-check/vitest'
import { SocketError } from '@socketlite/socket-base'
import { FakeClusterNode } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { InProcessAdapter } from '../src/in-process-adapter.js'

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)

async function startedNode(name = 'solo'): Promise<FakeClusterNode> {
  const node = new FakeClusterNode({ name })
  await node.start(new InProcessAdapter())
  onTestFinished(() => node.stop())
  return node
}

describe('InProcessAdapter', () => {
  test('publish to all reaches every local session once; to a group only its members', async () => {
    const node = await startedNode()
    const [a, b, c] = [await node.addSession(), await node.addSession(), await node.addSession()]
    if (a === undefined || b === undefined || c === undefined) throw new Error('sessions')
    await node.join(a.sessionId, 'room')
    await node.join(b.sessionId, 'room')
    await node.join(b.sessionId, 'room') // joining twice is one membership
    await node.adapter.publish(bytes('all'))
    await node.adapter.publish(bytes('room'), { group: 'room' })
    await node.adapter.publish(bytes('nobody'), { group: 'empty' })
    expect(node.texts(a.sessionId)).toEqual(['all', 'room'])
    expect(node.texts(b.sessionId)).toEqual(['all', 'room'])
    expect(node.texts(c.sessionId)).toEqual(['all'])
    expect(node.adapter.getStats()).toMatchObject({ connected: true, published: 3, received: 0, missed: 0 })
  })

  test('local members get a publish synchronously, before the promise settles', async () => {
    const node = await startedNode()
    const session = await node.addSession()
    const pending = node.adapter.publish(bytes('now'))
    expect(node.texts(session.sessionId)).toEqual(['now'])
    await pending
  })

  test('the caller may reuse its buffer once publish/sendTo returned', async () => {
    const node = await startedNode()
    const session = await node.addSession()
    const buffer = bytes('first')
    const pending = node.adapter.sendTo(session.sessionId, buffer)
    buffer.set(bytes('XXXXX'))
    await pending
    expect(node.texts(session.sessionId)).toEqual(['first'])
  })

  test('sendTo: true for a session here (even one whose queue refuses), false for an unknown id', async () => {
    const node = await startedNode()
    const session = await node.addSession()
    expect(await node.adapter.sendTo(session.sessionId, bytes('hi'))).toBe(true)
    expect(await node.adapter.sendTo('no-such-session', bytes('hi'))).toBe(false)
    session.accepting = false
    expect(await node.adapter.sendTo(session.sessionId, bytes('dropped'))).toBe(true)
    expect(node.texts(session.sessionId)).toEqual(['hi'])
  })

  test('countSessions and nodes() describe the one process', async () => {
    const node = await startedNode('alpha')
    const before = Date.now()
    const [a, b] = [await node.addSession(), await node.addSession()]
    await node.join(a.sessionId, 'g')
    expect(await node.adapter.countSessions()).toBe(2)
    expect(await node.adapter.countSessions({ group: 'g' })).toBe(1)
    expect(await node.adapter.countSessions({ group: 'other' })).toBe(0)
    const nodes = await node.adapter.nodes()
    expect(nodes).toEqual([{ nodeId: node.adapter.nodeId, name: 'alpha', sessions: 2, startedTime: expect.any(Date) }])
    expect(nodes[0]?.startedTime.getTime()).toBeLessThanOrEqual(before)
    await node.close(b.sessionId)
    expect(await node.adapter.countSessions()).toBe(1)
    await node.close(a.sessionId)
    expect(await node.adapter.countSessions({ group: 'g' })).toBe(0)
  })

  test('a closed session leaves its groups and is not reached any more', async () => {
    const node = await startedNode()
    const session = await node.addSession()
    await node.join(session.sessionId, 'g')
    await node.close(session.sessionId)
    await node.adapter.publish(bytes('late'), { group: 'g' })
    expect(await node.adapter.sendTo(session.sessionId, bytes('late'))).toBe(false)
    expect(node.texts(session.sessionId)).toEqual([])
  })

  test('nodeId: the one given, else a random UUID per adapter', () => {
    expect(new InProcessAdapter({ nodeId: 'n1' }).nodeId).toBe('n1')
    const [a, b] = [new InProcessAdapter().nodeId, new InProcessAdapter().nodeId]
    expect(a).toMatch(/^[0-9a-f-]{36}$/)
    expect(a).not.toBe(b)
  })

  test('misuse rejects (never throws): calls before start, a second start, an empty group', async () => {
    const adapter = new InProcessAdapter()
    const calls: [string, () => Promise<unknown>][] = [
      ['publish', () => adapter.publish(bytes('x'))],
      ['sendTo', () => adapter.sendTo('id', bytes('x'))],
      ['countSessions', () => adapter.countSessions()],
      ['nodes', () => adapter.nodes()],
      ['join', () => adapter.join('id', 'g')],
    ]
    for (const [, call] of calls) await expect(call()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
    expect(await adapter.registerSession('id')).toBe(false)
    expect(adapter.getStats().connected).toBe(false)
    const node = new FakeClusterNode()
    await node.start(adapter)
    onTestFinished(() => node.stop())
    await expect(adapter.start(node)).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
    const session = await node.addSession()
    for (const bad of ['', 42 as unknown as string]) {
      const error = await node.join(session.sessionId, bad).catch((caught: unknown) => caught)
      expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_ARGUMENT')
      await expect(adapter.publish(bytes('x'), { group: bad })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    }
  })

  test('stop() then start() again serves the new local node', async () => {
    const adapter = new InProcessAdapter()
    const first = new FakeClusterNode({ name: 'first' })
    await first.start(adapter)
    await first.stop()
    await first.stop()
    const second = new FakeClusterNode({ name: 'second' })
    await second.start(adapter)
    onTestFinished(() => second.stop())
    expect((await adapter.nodes()).map((info) => info.name)).toEqual(['second'])
  })
})

/** One step of a random membership history. */
type Step =
  | { kind: 'join'; session: number; group: number }
  | { kind: 'leave'; session: number; group: number }
  | { kind: 'close'; session: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), session: fc.nat(7), group: fc.nat(3) }),
  fc.record({ kind: fc.constant('leave' as const), session: fc.nat(7), group: fc.nat(3) }),
  fc.record({ kind: fc.constant('close' as const), session: fc.nat(7) }),
)

propertyTest.prop([fc.array(step, { maxLength: 60 })], { numRuns: 100 })(
  'after any join/leave/close history, a group publish reaches exactly the model members, once each',
  async (steps) => {
    const node = new FakeClusterNode()
    await node.start(new InProcessAdapter())
    try {
      const ids: string[] = []
      for (let index = 0; index < 8; index++) ids.push((await node.addSession(`s${index}`)).sessionId)
      const model = new Map<string, Set<string>>() // session -> groups
      for (const id of ids) model.set(id, new Set())
      for (const next of steps) {
        const id = ids[next.session] as string
        const groups = model.get(id)
        if (groups === undefined) continue // closed
        if (next.kind === 'close') {
          model.delete(id)
          await node.close(id)
        } else if (next.kind === 'join') {
          groups.add(`g${next.group}`)
          await node.join(id, `g${next.group}`)
        } else {
          groups.delete(`g${next.group}`)
          await node.leave(id, `g${next.group}`)
        }
      }
      for (let group = 0; group < 4; group++) await node.adapter.publish(bytes(`g${group}`), { group: `g${group}` })
      for (const id of ids) {
        const expected = [...(model.get(id) ?? [])].sort()
        expect([...node.texts(id)].sort()).toEqual(expected)
      }
      for (let group = 0; group < 4; group++) {
        const members = [...model.values()].filter((groups) => groups.has(`g${group}`)).length
        expect(await node.adapter.countSessions({ group: `g${group}` })).toBe(members)
      }
    } finally {
      await node.stop()
    }
  },
)
