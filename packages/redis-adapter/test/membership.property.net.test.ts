import { fc, test } from '@fast-check/vitest'
import { FakeClusterNode, type RedisServer, startRedisServer } from '@socketlite/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect } from 'vitest'
import { RedisAdapter } from '../src/index.js'
import { bytes, fastHeartbeat, fence, subscriberCounts, type TestNode } from './helpers.js'

// Random join/leave/close histories on three nodes, run partly concurrently (operations of one batch are issued
// without waiting for each other, as sessions of a busy server do), then a publish to every group: it must reach
// exactly the members of the model, once each, and only nodes with members may receive it from Redis.

const nodeCount = 3
const sessionsPerNode = 3
const groupCount = 3

let redis: RedisServer
let raw: Redis
const nodes: TestNode[] = []

beforeAll(async () => {
  redis = await startRedisServer()
  raw = new Redis(redis.url)
  for (let index = 0; index < nodeCount; index++) {
    const adapter = new RedisAdapter({ url: redis.url, ...fastHeartbeat })
    const node = new FakeClusterNode({ name: `n${index}` })
    await node.start(adapter)
    nodes.push({ node, adapter: adapter })
  }
})

afterAll(async () => {
  await Promise.all(nodes.map(({ node }) => node.stop()))
  raw?.disconnect()
  await redis?.stop()
})

/**
 * After issuing an operation: `wait` for all issued so far (barrier), let other work run for one turn of the event
 * loop (`tick`) or one Redis round trip (`io`) so that later operations land while earlier ones are in flight, or go
 * on at once (`none`).
 */
type Pause = 'none' | 'tick' | 'io' | 'wait'
type Step =
  | { kind: 'join' | 'leave'; node: number; session: number; group: number; pause: Pause }
  | { kind: 'close'; node: number; session: number; pause: Pause }

const pause = fc.constantFrom<Pause>('none', 'tick', 'io', 'wait')

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      node: fc.nat(nodeCount - 1),
      session: fc.nat(sessionsPerNode - 1),
      group: fc.nat(groupCount - 1),
      pause,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('leave' as const),
      node: fc.nat(nodeCount - 1),
      session: fc.nat(sessionsPerNode - 1),
      group: fc.nat(groupCount - 1),
      pause,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('close' as const),
      node: fc.nat(nodeCount - 1),
      session: fc.nat(sessionsPerNode - 1),
      pause,
    }),
  },
)

let run = 0

test.prop(
  [
    fc.array(step, { maxLength: 40 }),
    fc.array(fc.nat(nodeCount - 1), { minLength: groupCount, maxLength: groupCount }),
  ],
  { numRuns: 60 },
)(
  'after any join/leave/close history, a group publish reaches exactly the model members',
  async (steps, publishers) => {
    run++
    const groupName = (group: number) => `r${run}-g${group}`
    // model: node -> session id -> groups (absent = closed)
    const model = nodes.map(() => new Map<string, Set<string>>())
    for (const [index, { node }] of nodes.entries())
      for (let session = 0; session < sessionsPerNode; session++) {
        const id = `r${run}-n${index}-s${session}`
        model[index]?.set(id, new Set())
        await node.addSession(id)
      }
    try {
      await check(steps, publishers, model, groupName)
    } finally {
      // Whatever happened, the next run starts from a clean service.
      await Promise.all(nodes.flatMap(({ node }) => [...node.sessionIds()].map((id) => node.close(id))))
    }
  },
)

async function check(
  steps: Step[],
  publishers: number[],
  model: Map<string, Set<string>>[],
  groupName: (group: number) => string,
): Promise<void> {
  let pending: Promise<unknown>[] = []
  for (const next of steps) {
    const id = `r${run}-n${next.node}-s${next.session}`
    const groups = model[next.node]?.get(id)
    const { node } = nodes[next.node] as TestNode
    if (groups !== undefined) {
      if (next.kind === 'close') {
        model[next.node]?.delete(id)
        pending.push(node.close(id))
      } else if (next.kind === 'join') {
        groups.add(groupName(next.group))
        pending.push(node.join(id, groupName(next.group)))
      } else {
        groups.delete(groupName(next.group))
        pending.push(node.leave(id, groupName(next.group)))
      }
    }
    if (next.pause === 'wait') {
      await Promise.all(pending)
      pending = []
    } else if (next.pause === 'tick') await new Promise((resolve) => setImmediate(resolve))
    else if (next.pause === 'io') await raw.ping()
  }
  await Promise.all(pending)

  const hasMembers = (index: number, group: string) =>
    [...(model[index]?.values() ?? [])].some((groups) => groups.has(group))
  // Redis agrees with the model: subscriptions and member counts.
  const channels = Array.from({ length: groupCount }, (_, group) => `socketlite:group:${groupName(group)}`)
  expect(await subscriberCounts(raw, channels)).toEqual(
    Array.from(
      { length: groupCount },
      (_, group) => nodes.filter((_, index) => hasMembers(index, groupName(group))).length,
    ),
  )
  for (let group = 0; group < groupCount; group++) {
    const members = model.reduce(
      (total, sessions) => total + [...sessions.values()].filter((groups) => groups.has(groupName(group))).length,
      0,
    )
    expect(await nodes[0]?.adapter.countSessions({ group: groupName(group) })).toBe(members)
  }

  // One publish per group, from a random node; then make sure everything arrived.
  for (let group = 0; group < groupCount; group++)
    await nodes[publishers[group] ?? 0]?.adapter.publish(bytes(groupName(group)), { group: groupName(group) })
  await fence(raw, nodes)

  for (const [index, { node }] of nodes.entries()) {
    for (const [id, groups] of model[index] ?? []) {
      const got = node.texts(id).filter((text) => text.startsWith(`r${run}-g`))
      expect(got.sort()).toEqual([...groups].sort())
    }
    // What the adapter handed this node for each group: its own publish locally (its echo from Redis is dropped
    // unread), another node's publish once if it has members here, never otherwise.
    for (let group = 0; group < groupCount; group++) {
      const handed = node.deliveries.filter(
        (delivery) => delivery.kind === 'group' && delivery.target === groupName(group),
      ).length
      expect(handed).toBe(publishers[group] === index || hasMembers(index, groupName(group)) ? 1 : 0)
    }
  }

  // Closing every session leaves no subscription behind.
  await Promise.all(nodes.flatMap(({ node }, index) => [...(model[index]?.keys() ?? [])].map((id) => node.close(id))))
  expect(await subscriberCounts(raw, channels)).toEqual(channels.map(() => 0))
  for (const { adapter } of nodes) expect(adapter.getStats().subscriptions).toBe(2)
  expect(await nodes[0]?.adapter.countSessions()).toBe(0)
}
