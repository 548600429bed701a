import { type SocketSession, silentLogFactory } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { Admission, type AdmittedSession } from '../src/admission.js'
import type { Admitted } from '../src/internal.js'
import { kAdmission } from '../src/internal.js'
import type { PendingConnection } from '../src/pending-connection.js'
import { RefusalSummary } from '../src/refusal-summary.js'
import { ServerCounters } from '../src/server-stats.js'

interface Made extends AdmittedSession {
  [kAdmission]: Admitted | undefined
}

/** A connection whose `open` gives a stand-in socket session, at once or (`opensAtOnce: false`) after a tick. */
function connection(opensAtOnce: boolean, address = '127.0.0.1'): PendingConnection & { refused: number } {
  const socketSession = { close: () => Promise.resolve() } as unknown as SocketSession
  return {
    remoteEndPoint: { address, port: 50_000, family: 'IPv4' },
    listener: undefined,
    outbound: false,
    sessionId: undefined,
    opensAtOnce,
    releases: false,
    refused: 0,
    open: () => (opensAtOnce ? socketSession : Promise.resolve(socketSession)),
    refuse() {
      this.refused++
    },
    release: () => {},
  }
}

function admission(
  connectionFilters: ConstructorParameters<typeof Admission>[1]['connectionFilters'] = [],
  make?: () => Made,
) {
  const registered: Made[] = []
  const logger = silentLogFactory.getLogger('test')
  const counters = new ServerCounters()
  const admitter = new Admission<Made>(
    {
      running: true,
      createSession: make ?? (() => ({ sessionId: `s${registered.length}`, [kAdmission]: undefined })),
      register: (session) => {
        registered.push(session)
        return true
      },
      settled: () => {},
    },
    {
      maxConnections: 10,
      maxConnectionsPerIp: 0,
      maxPendingHandshakes: 10,
      refusals: new RefusalSummary({ logger }),
      connectionFilters,
      counters,
      logger,
    },
  )
  return { admitter, registered, counters }
}

describe('Admission', () => {
  test('a plain connection without connection filters is admitted at once: the session, not a promise', () => {
    const { admitter, registered } = admission()
    const result = admitter.admit(connection(true))
    expect(result).not.toBeInstanceOf(Promise)
    expect(registered).toEqual([result])
    expect(admitter.inProgress).toBe(0)
    expect((result as Made)[kAdmission]).toBe('127.0.0.1')
  })

  test('with a connection filter, or a connection that opens later, the result is a promise of the session', async () => {
    const filtered = admission([{ name: 'all', allowConnect: () => true }])
    const viaFilter = filtered.admitter.admit(connection(true))
    expect(viaFilter).toBeInstanceOf(Promise)
    expect(await viaFilter).toBe(filtered.registered[0])
    const later = admission()
    const opening = later.admitter.admit(connection(false))
    expect(opening).toBeInstanceOf(Promise)
    expect(later.admitter.inProgress).toBe(1)
    expect(await opening).toBe(later.registered[0])
    expect(later.admitter.inProgress).toBe(0)
  })

  test('the fast path keeps the rules: a limit refuses before opening, a throw in the session refuses the connection', () => {
    const full = admission()
    for (let index = 0; index < 10; index++) full.admitter.admit(connection(true))
    const over = connection(true)
    expect(full.admitter.admit(over)).toBe('maxConnectionNumber')
    expect(over.refused).toBe(1)
    const broken = admission([], () => {
      throw new Error('onInit bug')
    }).admitter
    const throwing = connection(true)
    expect(broken.admit(throwing)).toBe('acceptError')
    expect([throwing.refused, broken.inProgress]).toEqual([1, 0])
  })
})
