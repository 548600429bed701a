import type net from 'node:net'
import { fc, test as propertyTest } from '@fast-check/vitest'
import { connectTcp } from '@socketlite/testing'
import { expect } from 'vitest'
import { AppServer, type AppSession, silentLogFactory } from '../src/index.js'
import { LineReader, next } from './helpers.js'

// Random join/leave/close histories of real sessions, against a model (session → groups): afterwards every session's
// `groups`, every `countSessions({ group })` and every group publish match the model exactly — each open member gets
// each group's message once, nobody else gets it.

type Step =
  | { kind: 'join'; session: number; group: number }
  | { kind: 'leave'; session: number; group: number }
  | { kind: 'close'; session: number }

const sessions = 4
const groups = 3

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), session: fc.nat(sessions - 1), group: fc.nat(groups - 1) }),
  fc.record({ kind: fc.constant('leave' as const), session: fc.nat(sessions - 1), group: fc.nat(groups - 1) }),
  fc.record({ kind: fc.constant('close' as const), session: fc.nat(sessions - 1) }),
)

propertyTest.prop([fc.array(step, { maxLength: 30 })], { numRuns: 25 })(
  'join/leave/close histories keep groups, counts and publish exact (in-process adapter, real sockets)',
  async (steps) => {
    const server = new AppServer({ config: { ip: '127.0.0.1', port: 0 }, logFactory: silentLogFactory })
    const [listener] = await server.start()
    const clients: net.Socket[] = []
    try {
      const connected: AppSession[] = []
      server.on('newSessionConnected', (session) => {
        connected.push(session)
      })
      for (let index = 0; index < sessions; index++) {
        const opened = next<[AppSession]>(server, 'newSessionConnected')
        clients.push(await connectTcp(listener?.port ?? 0))
        await opened
      }
      const readers = clients.map((client) => new LineReader(client))
      const model = connected.map(() => new Set<string>())
      const open = connected.map(() => true)
      for (const each of steps) {
        const session = connected[each.session] as AppSession
        if (each.kind === 'close') {
          if (!open[each.session]) continue
          open[each.session] = false
          model[each.session]?.clear()
          const closed = next(server, 'sessionClosed')
          void session.close()
          await closed
        } else if (!open[each.session]) {
        } else if (each.kind === 'join') {
          model[each.session]?.add(`g${each.group}`)
          await session.join(`g${each.group}`)
        } else {
          model[each.session]?.delete(`g${each.group}`)
          await session.leave(`g${each.group}`)
        }
      }
      for (let index = 0; index < sessions; index++) {
        expect(connected[index]?.groups).toEqual(model[index])
      }
      for (let group = 0; group < groups; group++) {
        const members = model.filter((each) => each.has(`g${group}`)).length
        expect(await server.countSessions({ group: `g${group}` })).toBe(members)
        await server.publish(`to g${group}\r\n`, { group: `g${group}` })
      }
      await server.publish('END\r\n')
      for (let index = 0; index < sessions; index++) {
        if (!open[index]) continue
        const reader = readers[index] as LineReader
        const got: string[] = []
        for (let line = await reader.next(); line !== 'END' && got.length < 10; line = await reader.next())
          got.push(line)
        expect(got.sort()).toEqual([...(model[index] ?? [])].map((group) => `to ${group}`).sort())
      }
    } finally {
      for (const client of clients) client.destroy()
      await server.stop()
    }
  },
)
