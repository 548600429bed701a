import { expectTypeOf, test } from 'vitest'
import {
  type ClusterAdapter,
  type ClusterCountOptions,
  type ClusterLocalNode,
  type ClusterPublishOptions,
  type ClusterStats,
  ClusterUnavailableError,
  type NodeInfo,
  SocketError,
} from '../src/index.js'

test('NodeInfo is { nodeId, name, sessions, startedTime }, read-only', () => {
  expectTypeOf<NodeInfo>().toEqualTypeOf<{
    readonly nodeId: string
    readonly name: string
    readonly sessions: number
    readonly startedTime: Date
  }>()
})

test('the adapter offers the cluster calls with their result types', () => {
  expectTypeOf<ClusterAdapter['start']>().toEqualTypeOf<(local: ClusterLocalNode) => Promise<void>>()
  expectTypeOf<ClusterAdapter['stop']>().toEqualTypeOf<() => Promise<void>>()
  expectTypeOf<ClusterAdapter['registerSession']>().toEqualTypeOf<(sessionId: string) => Promise<boolean>>()
  expectTypeOf<ClusterAdapter['unregisterSession']>().toEqualTypeOf<(sessionId: string) => Promise<void>>()
  expectTypeOf<ClusterAdapter['join']>().toEqualTypeOf<(sessionId: string, group: string) => Promise<void>>()
  expectTypeOf<ClusterAdapter['leave']>().toEqualTypeOf<(sessionId: string, group: string) => Promise<void>>()
  expectTypeOf<ClusterAdapter['publish']>().toEqualTypeOf<
    (data: Uint8Array, options?: ClusterPublishOptions) => Promise<void>
  >()
  expectTypeOf<ClusterAdapter['sendTo']>().toEqualTypeOf<(sessionId: string, data: Uint8Array) => Promise<boolean>>()
  expectTypeOf<ClusterAdapter['countSessions']>().toEqualTypeOf<(options?: ClusterCountOptions) => Promise<number>>()
  expectTypeOf<ClusterAdapter['nodes']>().toEqualTypeOf<() => Promise<NodeInfo[]>>()
  expectTypeOf<ClusterAdapter['getStats']>().toEqualTypeOf<() => ClusterStats>()
  expectTypeOf<ClusterAdapter['nodeId']>().toEqualTypeOf<string>()
})

test('options take an optional group only; a group is a string', () => {
  const all: ClusterPublishOptions = {}
  const room: ClusterCountOptions = { group: 'room' }
  void all
  void room
  // @ts-expect-error a group is a name, not a list
  const many: ClusterPublishOptions = { group: ['a', 'b'] }
  void many
})

test('the local node is implementable by a plain object (what a server or a test harness lends its adapter)', () => {
  const members = new Map<string, Set<string>>()
  const local: ClusterLocalNode = {
    name: 'test',
    logger: { isLevelEnabled: () => false, debug() {}, info() {}, warn() {}, error() {} },
    sessionCount: 0,
    deliverToSession: (_sessionId: string, _data: Uint8Array) => false,
    deliverToGroup: (group: string) => members.get(group)?.size ?? 0,
    deliverToAll: () => 0,
    countGroupMembers: (group: string) => members.get(group)?.size ?? 0,
    sessionIds: () => [],
    groups: () => members.keys(),
  }
  expectTypeOf(local.deliverToGroup).returns.toEqualTypeOf<number>()
  expectTypeOf(local.sessionIds).returns.toEqualTypeOf<Iterable<string>>()
})

test('stats are read-only numbers plus the connection flag', () => {
  expectTypeOf<ClusterStats['missed']>().toEqualTypeOf<number>()
  expectTypeOf<ClusterStats['connected']>().toEqualTypeOf<boolean>()
  const stats = {} as ClusterStats
  // @ts-expect-error read-only
  stats.missed = 1
})

test('ClusterUnavailableError is a SocketError with its literal code', () => {
  expectTypeOf(new ClusterUnavailableError().code).toEqualTypeOf<'ERR_CLUSTER_UNAVAILABLE'>()
  expectTypeOf(new ClusterUnavailableError('down', { cause: new Error('ECONNREFUSED') })).toExtend<SocketError>()
  const caught: unknown = undefined
  if (SocketError.isSocketError(caught) && caught.code === 'ERR_CLUSTER_UNAVAILABLE')
    expectTypeOf(caught.code).toEqualTypeOf<'ERR_CLUSTER_UNAVAILABLE'>()
})
