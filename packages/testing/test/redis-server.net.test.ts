import net from 'node:net'
import { beforeAll, expect, onTestFinished, test } from 'vitest'
import { ensureRedisServer, startRedisCluster, startRedisServer } from '../src/index.js'
import { readBytes } from '../src/read.js'

beforeAll(() => ensureRedisServer())

/** Send one inline command and read `length` bytes of the reply. */
async function command(port: number, line: string, length: number): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port })
  onTestFinished(() => {
    socket.destroy()
  })
  socket.write(`${line}\r\n`)
  return (await readBytes(socket, length)).toString()
}

test('starts a throwaway redis-server on a free loopback port that answers PING', async () => {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
  expect(redis.running).toBe(true)
  expect(await command(redis.port, 'PING', 7)).toBe('+PONG\r\n')
  // No persistence: CONFIG GET save is empty.
  expect(await command(redis.port, 'CONFIG GET save', 20)).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n')
})

test('kill() crashes it, restart() brings it back on the same port with no data', async () => {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  expect(await command(redis.port, 'SET k v', 5)).toBe('+OK\r\n')
  const firstPid = redis.pid
  await redis.kill()
  expect(redis.running).toBe(false)
  const refused = net.connect({ host: '127.0.0.1', port: redis.port })
  onTestFinished(() => {
    refused.destroy()
  })
  const error = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve))
  expect(error.code).toBe('ECONNREFUSED')
  await redis.restart()
  expect(redis.pid).not.toBe(firstPid)
  expect(await command(redis.port, 'GET k', 5)).toBe('$-1\r\n')
})

test('stop() is idempotent and leaves nothing listening', async () => {
  const redis = await startRedisServer()
  await redis.stop()
  await redis.stop()
  expect(redis.running).toBe(false)
  const socket = net.connect({ host: '127.0.0.1', port: redis.port })
  onTestFinished(() => {
    socket.destroy()
  })
  const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve))
  expect(error.code).toBe('ECONNREFUSED')
})

/** Send one inline command and read the reply until `done(text)` is true (bounded by the socket's 2 s timeout). */
async function commandUntil(port: number, line: string, done: (reply: string) => boolean): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port })
  onTestFinished(() => {
    socket.destroy()
  })
  socket.setTimeout(2_000, () => socket.destroy(new Error('no reply')))
  socket.write(`${line}\r\n`)
  let reply = ''
  for await (const chunk of socket) {
    reply += String(chunk)
    if (done(reply)) break
  }
  return reply
}

test('startRedisCluster: three masters that share all 16384 slots; stop() frees their ports', async () => {
  const cluster = await startRedisCluster()
  onTestFinished(() => cluster.stop())
  expect(cluster.nodes).toHaveLength(3)
  expect(cluster.startupNodes.map((node) => node.port)).toEqual(cluster.nodes.map((node) => node.port))
  for (const node of cluster.nodes) {
    const info = await commandUntil(node.port, 'CLUSTER INFO', (reply) => reply.includes('cluster_stats_messages'))
    expect(info).toContain('cluster_state:ok')
    expect(info).toContain('cluster_slots_assigned:16384')
    expect(info).toContain('cluster_known_nodes:3')
    expect(info).toContain('cluster_size:3')
  }
  await cluster.stop()
  await cluster.stop()
  for (const node of cluster.nodes) expect(node.running).toBe(false)
})
