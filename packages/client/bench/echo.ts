// Benchmark of SocketClient against a bare node:net client doing the same framing, same server, same run.
//
//   pnpm --filter @socketlite/client bench
//   BENCH_SECONDS=3 BENCH_ROUNDS=5 BENCH_CONNECTIONS=8 BENCH_DEPTH=16 pnpm --filter @socketlite/client bench
//
// The echo server runs in a child process (bench/echo-server.mjs): the README's AppServer (`ECHO x` → `x\r\n`), and
// a bare byte echo, under which the client side is the bottleneck. In this process BENCH_CONNECTIONS clients each
// keep BENCH_DEPTH requests `ECHO <32 bytes>\r\n` in flight and send one more for every reply. Both clients frame the
// replies into the same thing, a request object with key, body and parameters split at spaces:
// - SocketClient with a TerminatorReceiveFilter('\r\n') (BasicRequestInfoParser), `message` events, `trySend`;
// - bare: net.Socket, a held partial line, indexOf('\r\n'), the same split, one `socket.write` per chunk read (all
//   the requests its replies call for in one string), which SocketClient's coalescing queue does by itself.
// Rounds alternate the order (A B, B A, ...). Prints replies/s, the client's CPU time per reply, and the ratios
// SocketClient/bare (medians of BENCH_ROUNDS rounds, with every round's numbers).
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { SocketClient, StringRequestInfo, TerminatorReceiveFilter } from '../src/index.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 2)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8)
const depth = Number(process.env.BENCH_DEPTH ?? 16)
const request = `ECHO ${'x'.repeat(32)}\r\n`
const crlf = Buffer.from('\r\n')

type Implementation = 'bare' | 'client'

/** One implementation's clients: started, counted while `counting`, stopped. */
interface Load {
  replies: number
  errors: number
  stop(): Promise<void>
}

/** The key/body/parameters split of BasicRequestInfoParser, written out. */
function parseLine(line: string): StringRequestInfo {
  const space = line.indexOf(' ')
  if (space <= 0) return new StringRequestInfo(line, '', [])
  const body = line.slice(space + 1)
  return new StringRequestInfo(
    line.slice(0, space),
    body,
    body.split(' ').filter((part) => part !== ''),
  )
}

let counting = false

async function startBare(port: number): Promise<Load> {
  const load: Load = { replies: 0, errors: 0, stop: async () => {} }
  const sockets: net.Socket[] = []
  for (let index = 0; index < connections; index += 1) {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    sockets.push(socket)
    socket.on('error', () => {
      load.errors += 1
    })
    let held: Buffer | undefined
    socket.on('data', (chunk: Buffer) => {
      const data = held === undefined ? chunk : Buffer.concat([held, chunk])
      let start = 0
      let replies = 0
      for (let end = data.indexOf(crlf, start); end >= 0; end = data.indexOf(crlf, start)) {
        if (parseLine(data.toString('utf8', start, end)).key.length === 0) load.errors += 1
        replies += 1
        start = end + 2
      }
      held = start === data.length ? undefined : data.subarray(start)
      if (counting) load.replies += replies
      // One write for all the requests this chunk's replies call for (a bare client at its best; one write per
      // request is several times slower).
      if (replies > 0) socket.write(replies === 1 ? request : request.repeat(replies))
    })
    await once(socket, 'connect')
    for (let sent = 0; sent < depth; sent += 1) socket.write(request)
  }
  load.stop = async () => {
    for (const socket of sockets) socket.destroy()
  }
  return load
}

async function startClient(port: number): Promise<Load> {
  const load: Load = { replies: 0, errors: 0, stop: async () => {} }
  const clients: SocketClient<StringRequestInfo>[] = []
  for (let index = 0; index < connections; index += 1) {
    const client = new SocketClient<StringRequestInfo>({
      host: '127.0.0.1',
      port,
      receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }),
      sendHighWaterMark: 1_048_576,
    })
    clients.push(client)
    client.on('message', (reply) => {
      if (reply.key.length === 0) load.errors += 1
      if (counting) load.replies += 1
      if (!client.trySend(request)) load.errors += 1
    })
    client.on('disconnected', (_, info) => {
      if (info.error !== undefined) load.errors += 1
    })
    await client.connect()
    for (let sent = 0; sent < depth; sent += 1) client.trySend(request)
  }
  load.stop = async () => {
    await Promise.all(clients.map((client) => client.close()))
  }
  return load
}

async function measure(implementation: Implementation, port: number): Promise<{ rate: number; cpuPerReply: number }> {
  const load = implementation === 'bare' ? await startBare(port) : await startClient(port)
  await new Promise((resolve) => setTimeout(resolve, 300)) // warm-up
  const cpu = process.cpuUsage()
  const started = performance.now()
  counting = true
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
  counting = false
  const elapsed = (performance.now() - started) / 1_000
  const used = process.cpuUsage(cpu)
  const replies = load.replies
  await load.stop()
  if (load.errors > 0) console.warn(`  (${implementation}: ${load.errors} errors)`)
  return { rate: replies / elapsed, cpuPerReply: (used.user + used.system) / Math.max(1, replies) }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function startServer(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./echo-server.mjs', import.meta.url), [kind], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [port] = (await once(child, 'message')) as [number]
  return { child, port }
}

const format = (rate: number) => `${Math.round(rate).toLocaleString('en-US').padStart(9)} replies/s`
console.log(
  `SocketClient vs bare node:net client, same framing — ${connections} connections x depth ${depth}, ${seconds} s x ${rounds} rounds (medians), Node ${process.version}`,
)
for (const [kind, title] of [
  ['app', 'against the AppServer echo (the README server, in a child process)'],
  ['raw', 'against a bare byte echo (child process; the client is the bottleneck)'],
] as const) {
  const { child, port } = await startServer(kind)
  const results: Record<Implementation, { rate: number; cpuPerReply: number }[]> = { bare: [], client: [] }
  const ratios: number[] = []
  for (let round = 0; round < rounds; round += 1) {
    const order: Implementation[] = round % 2 === 0 ? ['bare', 'client'] : ['client', 'bare']
    const pair: Partial<Record<Implementation, number>> = {}
    for (const implementation of order) {
      const result = await measure(implementation, port)
      results[implementation].push(result)
      pair[implementation] = result.rate
    }
    ratios.push((pair.client as number) / (pair.bare as number))
  }
  child.kill()
  const rate = (implementation: Implementation) => median(results[implementation].map((result) => result.rate))
  const cpu = (implementation: Implementation) => median(results[implementation].map((result) => result.cpuPerReply))
  console.log(title)
  console.log(`  bare net      ${format(rate('bare'))}   client CPU ${cpu('bare').toFixed(2)} µs/reply`)
  console.log(`  SocketClient  ${format(rate('client'))}   client CPU ${cpu('client').toFixed(2)} µs/reply`)
  console.log(
    `  ratio SocketClient/bare: throughput ${(rate('client') / rate('bare')).toFixed(2)} (median of per-round ratios ${median(ratios).toFixed(2)}; rounds ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}), CPU per reply ${(cpu('client') / cpu('bare')).toFixed(2)}`,
  )
}
