// Memory per idle connection: an AsyncSocketSession (started, nothing sent) against a bare node:net socket with a
// 'data' and an 'error' listener, over real 127.0.0.1 connections, each side measured in a fresh process.
//
//   pnpm --filter @socketlite/session-async bench        (builds, runs bench/echo.ts, then this)
//   BENCH_IDLE_CONNECTIONS=5000 node --import tsx bench/memory.ts
//
// A child process opens the connections, attaches to each accepted socket (bare listeners or a session), collects
// garbage and reads the heap; the growth divided by the connections is the cost of one connection (client socket
// included, the same for both sides). The difference is what the session adds to a connection.
import { fork } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import type { SocketSessionHandler } from '@socketlite/socket-base'

const connections = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 2_000)
type Side = 'bare' | 'session'

/** Heap bytes per connection of `side`, measured in a child process. */
function measureInChild(side: Side): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [side], { execArgv: ['--expose-gc', '--import', 'tsx'] })
    child.once('message', (bytes) => resolve(bytes as number))
    child.once('exit', (code) => reject(new Error(`the ${side} measurement exited with ${code}`)))
  })
}

/** The heap after collecting garbage; native handles are released in callbacks after a collection, so several. */
async function settle(gc: () => void): Promise<number> {
  for (let pass = 0; pass < 6; pass++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

async function child(side: Side): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('needs --expose-gc')
  // The built package: code run through tsx carries extra properties on its functions that would be counted here.
  // BENCH_MODULE overrides it (to compare another build).
  const modulePath = process.env.BENCH_MODULE ?? new URL('../dist/index.js', import.meta.url).href
  const { AsyncSocketSession } = (await import(modulePath)) as typeof import('../src/index.js')
  const handler: SocketSessionHandler = { onData() {}, onClosed() {} }
  const ignore = () => {}
  const init = { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 }
  const held: unknown[] = []
  const accepted: net.Socket[] = []
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket)
    if (side === 'bare') {
      socket.on('data', ignore)
      socket.on('error', ignore)
    } else {
      const session = new AsyncSocketSession(socket, init)
      session.start(handler)
      held.push(session)
    }
  })
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, resolve))
  const { port } = server.address() as net.AddressInfo
  const clients: net.Socket[] = []
  const open = async (count: number) => {
    // In batches below the backlog, waiting for each batch to be accepted (bounded in time).
    for (let opened = 0; opened < count; ) {
      const batch = Math.min(200, count - opened)
      for (let index = 0; index < batch; index++) {
        const client = net.connect({ host: '127.0.0.1', port })
        client.on('error', ignore)
        clients.push(client)
      }
      opened += batch
      const deadline = Date.now() + 5_000
      while (accepted.length < clients.length && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    if (accepted.length !== clients.length) throw new Error(`${accepted.length} of ${clients.length} accepted`)
  }
  await open(200) // warm-up: compiles the code paths, grows the heap's fixed parts
  const before = await settle(gc)
  await open(connections)
  const after = await settle(gc)
  if (held.length > accepted.length) throw new Error('unreachable') // keeps the sessions alive until here
  return (after - before) / connections
}

const side = process.argv[2] as Side | undefined
if (side !== undefined) {
  const bytes = await child(side)
  process.send?.(bytes)
  process.exit(0)
} else {
  const results: Record<Side, number[]> = { bare: [], session: [] }
  for (const next of ['bare', 'session', 'session', 'bare'] as Side[]) results[next].push(await measureInChild(next))
  const best = (of: Side) => Math.min(...results[of])
  console.log(`idle connections: ${connections} over 127.0.0.1, heap per connection (client socket included)`)
  console.log(
    `  bare node:net socket    ${best('bare').toFixed(0).padStart(6)} B   (runs: ${results.bare.map(Math.round)})`,
  )
  console.log(
    `  AsyncSocketSession      ${best('session').toFixed(0).padStart(6)} B   (runs: ${results.session.map(Math.round)})`,
  )
  console.log(`  the session adds       ${(best('session') - best('bare')).toFixed(0).padStart(6)} B per connection`)
}
