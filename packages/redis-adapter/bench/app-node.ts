// One node of the AppServer-level benchmark (bench/app-server.ts), in its own process, driven over IPC.
//   adapter: an AppServer joined through a RedisAdapter; its sessions get what `server.publish` / `sendTo` deliver.
//   bare:    the baseline: a plain node:net server and two ioredis clients; a publish writes to its own sockets and
//            PUBLISHes, every other node's subscriber writes what it receives to each of its sockets (corked for the
//            rest of the event loop's turn, so the writes of one turn leave together).
// Payload: BENCH frames of `frameSize` bytes, starting with the send time (ms since the epoch, a float64 LE).
// Usage: node --import tsx app-node.ts <adapter|bare> <redis url> <index>
import { createServer, type Socket } from 'node:net'
import { AppServer, silentLogFactory } from '@socketlite/app-server'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../src/index.js'
import { serveOps } from '../test/fixtures/serve-ops.js'

export const frameSize = 32

const [mode = 'adapter', url = '', indexText = '0'] = process.argv.slice(2)
const index = Number(indexText)
if (process.send === undefined) throw new Error('run me with an IPC channel')
const send = process.send.bind(process)

function frame(time: number): Buffer {
  const data = Buffer.alloc(frameSize, 0x78)
  data.writeDoubleLE(time, 0)
  return data
}
const now = (): number => performance.timeOrigin + performance.now()

/** Run `count` sends with at most `window` in flight, or at `rate` per second when given; resolves when all did. */
async function pump(
  count: number,
  window: number,
  rate: number,
  sendOne: (i: number, data: Buffer) => Promise<unknown>,
) {
  const start = now()
  let inFlight = 0
  let next = 0
  let failed: unknown
  await new Promise<void>((resolve) => {
    const go = (): void => {
      while (inFlight < window && next < count) {
        const i = next++
        const due = rate > 0 ? start + (i * 1000) / rate : 0
        if (rate > 0 && due > now() + 1) {
          next--
          setTimeout(go, due - now())
          return
        }
        inFlight++
        sendOne(i, frame(rate > 0 ? Math.min(due, now()) : now())).then(
          () => {
            inFlight--
            if (next < count) go()
            else if (inFlight === 0) resolve()
          },
          (error: unknown) => {
            failed = error
            inFlight--
            if (inFlight === 0 && next >= count) resolve()
          },
        )
      }
    }
    go()
  })
  if (failed !== undefined) throw failed
}

type Ops = Record<string, (...args: never[]) => unknown>
let ops: Ops
let port = 0
let nodeId = ''

if (mode === 'adapter') {
  const adapter = new RedisAdapter({ url, prefix: 'benchapp' })
  const server = new AppServer({
    config: { name: `n${index}`, ip: '127.0.0.1', port: 0, maxConnectionNumber: 10_000, sendHighWaterMark: 4_194_304 },
    adapter,
    logFactory: silentLogFactory,
  })
  port = (await server.start())[0]?.port ?? 0
  nodeId = adapter.nodeId
  ops = {
    publish: (count: number, window: number, rate = 0) => pump(count, window, rate, (_, data) => server.publish(data)),
    sendTo: async (ids: string[], count: number, window: number) => {
      let missing = 0
      await pump(count, window, 0, async (i, data) => {
        if (!(await server.sendTo(ids[i % ids.length] as string, data))) missing++
      })
      return missing
    },
    sessionIds: () => server.getAllSessions().map((session) => session.sessionId),
    sessionCount: () => server.sessionCount,
    join: async (pairs: [string, string][]) => {
      await Promise.all(pairs.map(([id, group]) => server.getSessionById(id)?.join(group)))
    },
    publishGroups: (groups: string[], window: number) =>
      pump(groups.length, window, 0, (i, data) => server.publish(data, { group: groups[i] as string })),
    stats: () => server.getStats().cluster,
    stop: async () => {
      await server.stop()
      setImmediate(() => process.exit(0))
    },
  }
} else {
  const sockets = new Set<Socket>()
  const tcp = createServer((socket) => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  port = (tcp.address() as { port: number }).port
  nodeId = `bare${index}`
  const pub = new Redis(url)
  const sub = new Redis(url)
  // Writes of one turn of the event loop leave together (corked until then), as the server's sending queue gathers
  // them: a write per message and socket would be a baseline no careful server has.
  let corked = false
  const uncork = (): void => {
    corked = false
    for (const socket of sockets) socket.uncork()
  }
  const writeAll = (data: Buffer): void => {
    if (!corked) {
      corked = true
      for (const socket of sockets) socket.cork()
      setImmediate(uncork)
    }
    for (const socket of sockets) socket.write(data)
  }
  sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
    if (message[0] === index) return // its own echo: its sockets had it already
    writeAll(message.subarray(1))
  })
  await sub.subscribe('bare:all')
  ops = {
    publish: (count: number, window: number, rate = 0) =>
      pump(count, window, rate, (_, data) => {
        writeAll(data)
        return pub.publish('bare:all', Buffer.concat([Buffer.of(index), data]))
      }),
    stats: () => ({}),
    sessionCount: () => sockets.size,
    stop: async () => {
      pub.disconnect()
      sub.disconnect()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => tcp.close(resolve))
      setImmediate(() => process.exit(0))
    },
  }
}

serveOps(ops, send)
send({ event: 'ready', args: [nodeId, port] })
