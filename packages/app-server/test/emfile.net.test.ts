import { spawn } from 'node:child_process'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connectTcp } from '@socketlite/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { connect, LineReader, next, RecordingLogFactory, startServer } from './helpers.js'

function emfile(): NodeJS.ErrnoException {
  return Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' })
}

/** The `net.Server`s created from now until the test finishes (they are real: `net.createServer` is only watched). */
function watchNetServers(): net.Server[] {
  const created: net.Server[] = []
  const createServer = net.createServer
  const spy = vi.spyOn(net, 'createServer').mockImplementation(((...args: Parameters<typeof net.createServer>) => {
    const server = createServer(...args)
    created.push(server)
    return server
  }) as typeof net.createServer)
  onTestFinished(() => spy.mockRestore())
  return created
}

describe('listener errors', () => {
  test('an accept error (EMFILE) is emitted as server error, logged once per burst, and accepting goes on', async () => {
    const created = watchNetServers()
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer({ logFactory: logs }, (server) => {
      server.on('newSessionConnected', (session) => session.trySend('WELCOME\r\n'))
    })
    const errors: Error[] = []
    server.on('error', (error) => errors.push(error))
    const [netServer] = created
    if (netServer === undefined) throw new Error('no net.Server was created')
    for (let index = 0; index < 5; index++) netServer.emit('error', emfile())
    expect(errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(Array(5).fill('EMFILE'))
    expect(logs.at('error').filter((record) => record.message.startsWith('Listener error'))).toHaveLength(1)
    expect(server.getStats().listenerErrors).toBe(5)
    const lines = new LineReader(await connect(port))
    expect(await lines.next()).toBe('WELCOME')
  })

  test('without an error listener nothing is thrown', async () => {
    const created = watchNetServers()
    const { server } = await startServer()
    expect(() => created[0]?.emit('error', emfile())).not.toThrow()
    expect(server.getStats().listenerErrors).toBe(1)
  })
})

const fixture = fileURLToPath(new URL('./fixtures/emfile-server.ts', import.meta.url))

/** Connect and wait for the greeting; `undefined` when the server drops the connection instead. */
async function greeted(port: number): Promise<net.Socket | undefined> {
  const socket = await connectTcp(port)
  onTestFinished(() => {
    socket.destroy()
  })
  const lines = new LineReader(socket)
  const closed = next(socket, 'close', 5_000).then(() => undefined)
  const line = await Promise.race([lines.next(5_000), closed])
  return line === 'WELCOME' ? socket : undefined
}

test('out of file descriptors for real: the server survives and accepts again once descriptors are free', async () => {
  // A child process with a descriptor limit just above what Node and the tsx loader need.
  const child = spawn('sh', ['-c', `ulimit -n 96 && exec "${process.execPath}" --import tsx "${fixture}"`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  const exited = next(child, 'exit', 60_000).then(() => 'exited')
  const [portLine] = await next<[string]>(createInterface({ input: child.stdout }), 'line', 15_000)
  expect(portLine).toMatch(/^port \d+$/)
  const port = Number(portLine.split(' ')[1])

  const held: net.Socket[] = []
  let dropped = false
  for (let index = 0; index < 200 && !dropped; index++) {
    const socket = await greeted(port)
    if (socket === undefined) dropped = true
    else held.push(socket)
  }
  expect(dropped).toBe(true)
  expect(held.length).toBeGreaterThan(10)

  await Promise.all(
    held.map((socket) => {
      const closed = next(socket, 'close')
      socket.destroy()
      return closed
    }),
  )
  let again: net.Socket | undefined
  for (let attempt = 0; attempt < 20 && again === undefined; attempt++) again = await greeted(port)
  expect(again).toBeDefined()
  const lines = new LineReader(again as net.Socket)
  again?.write('COUNT\r\n')
  expect(await lines.next()).toBe('1')
  expect(await Promise.race([exited, Promise.resolve('running')])).toBe('running')
})
