import { once } from 'node:events'
import { fc, test } from '@fast-check/vitest'
import { readBytes } from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { AppServer, type AppSession, type StringRequestInfo, silentLogFactory } from '../src/index.js'
import { connect } from './helpers.js'

/** Per request: `S` = the handler answers at once, `A` = after a promise, `T` = after a macrotask. */
const modes = ['S', 'A', 'T'] as const

describe('per-session order, whatever the chunking and the mix of sync and async handlers', () => {
  let server: AppServer
  let port = 0
  const seen = new Map<AppSession<StringRequestInfo>, string[]>()

  beforeAll(async () => {
    server = new AppServer({ config: { port: 0 }, logFactory: silentLogFactory })
    server.on('newSessionConnected', (session) => {
      seen.set(session, [])
    })
    server.on('newRequestReceived', async (session, request) => {
      seen.get(session)?.push(request.body)
      if (request.key === 'A') await Promise.resolve()
      else if (request.key === 'T') await new Promise((resolve) => setImmediate(resolve))
      session.trySend(`${request.body}\r\n`)
    })
    const [listener] = await server.start()
    port = listener?.port ?? 0
  })
  afterAll(() => server.stop())

  test.prop(
    [
      fc.array(fc.tuple(fc.constantFrom(...modes), fc.stringMatching(/^[a-z0-9]{1,12}$/)), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.array(fc.nat(), { maxLength: 8 }),
    ],
    { numRuns: 25 },
  )('requests are handled and answered in arrival order', async (requests, cutSeeds) => {
    const stream = Buffer.from(requests.map(([mode, body]) => `${mode} ${body}\r\n`).join(''))
    const cuts = [...new Set(cutSeeds.map((seed) => seed % stream.length))].sort((a, b) => a - b)
    const connected = once(server, 'newSessionConnected', { signal: AbortSignal.timeout(2_000) })
    const client = await connect(port)
    const [session] = (await connected) as [AppSession<StringRequestInfo>]
    let start = 0
    for (const cut of [...cuts, stream.length]) {
      if (cut <= start) continue
      client.write(stream.subarray(start, cut))
      start = cut
    }
    const expected = requests.map(([, body]) => `${body}\r\n`).join('')
    const replies = await readBytes(client, Buffer.byteLength(expected))
    expect(replies.toString()).toBe(expected)
    expect(seen.get(session)).toEqual(requests.map(([, body]) => body))
    client.destroy()
  })
})
