import { silentLogFactory } from '@socketlite/app-server'
import { connectLineClient } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { MultiPortApp, MultiPortOptions } from '../src/multi-port-app.js'
import { createMultiPortServer } from '../src/server.js'
import { createMultiPortServers } from '../src/two-servers.js'

describe.each<[string, (options: MultiPortOptions) => MultiPortApp]>([
  ['one server, two listeners', createMultiPortServer],
  ['two servers in one process', createMultiPortServers],
])('%s', (_, create) => {
  async function startApp() {
    const app = create({ externalPort: 0, internalPort: 0, logFactory: silentLogFactory })
    const { external, internal } = await app.start()
    onTestFinished(() => app.stop())
    expect(external.port).not.toBe(internal.port)
    return { external: external.port, internal: internal.port }
  }

  test('both ports echo; only the internal port may send notices, which reach every external client', async () => {
    const ports = await startApp()
    const alice = await connectLineClient(ports.external)
    const bob = await connectLineClient(ports.external)
    const backend = await connectLineClient(ports.internal)
    expect(await alice.ask('ECHO hi')).toBe('hi')
    expect(await bob.ask('ECHO there')).toBe('there')
    expect(await backend.ask('ECHO s2s')).toBe('s2s')
    expect(await alice.ask('NOTICE sneaky')).toBe('DENIED NOTICE')
    expect(await alice.ask('COUNT')).toBe('DENIED COUNT')
    expect(await backend.ask('COUNT')).toBe('2')
    expect(await backend.ask('NOTICE maintenance at noon')).toBe('SENT 2')
    expect(await alice.next()).toBe('NOTICE maintenance at noon')
    expect(await bob.next()).toBe('NOTICE maintenance at noon')
  })

  test('stop closes the sessions of both ports', async () => {
    const app = create({ externalPort: 0, internalPort: 0, logFactory: silentLogFactory })
    const { external, internal } = await app.start()
    onTestFinished(() => app.stop())
    const client = await connectLineClient(external.port)
    const backend = await connectLineClient(internal.port)
    expect(await client.ask('ECHO up')).toBe('up')
    expect(await backend.ask('ECHO up')).toBe('up')
    await app.stop()
    expect(await client.next()).toBeUndefined()
    expect(await backend.next()).toBeUndefined()
  })
})

test('the two-server variant keeps separate limits: the internal port takes 16 connections, the external more', async () => {
  const app = createMultiPortServers({ externalPort: 0, internalPort: 0, logFactory: silentLogFactory })
  const { external, internal } = await app.start()
  onTestFinished(() => app.stop())
  const internals = await Promise.all(Array.from({ length: 17 }, () => connectLineClient(internal.port)))
  const answers = await Promise.allSettled(internals.map((client) => client.ask('ECHO in')))
  expect(answers.filter((answer) => answer.status === 'fulfilled' && answer.value === 'in')).toHaveLength(16)
  const externals = await Promise.all(Array.from({ length: 17 }, () => connectLineClient(external.port)))
  const echoed = await Promise.all(externals.map((client) => client.ask('ECHO out')))
  expect(echoed.every((line) => line === 'out')).toBe(true)
})
