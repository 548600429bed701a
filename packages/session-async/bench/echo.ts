// Benchmark of AsyncSocketSession against bare node:net, same client, same run.
//
//   pnpm --filter @socketlite/session-async bench
//   BENCH_SECONDS=5 BENCH_ROUNDS=5 BENCH_CONNECTIONS=100 BENCH_DEPTH=32 pnpm --filter @socketlite/session-async bench
//   BENCH_SEND_STALL=60000 (the send-stall deadline on; default 0 = off)
//
// Scenarios (a worker thread drives 127.0.0.1 connections, each with BENCH_DEPTH requests in flight):
// - echo:  every received chunk is sent back (session: one trySend per chunk; bare: one socket.write per chunk).
// - burst: every 8-byte request is answered with 16 separate 16-byte replies (session: 16 trySends, which leave as
//          one gather write; bare: 16 socket.write calls, as naive code does).
// Prints requests/s for both, the ratio, and the server's event-loop utilisation; medians of BENCH_ROUNDS rounds.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { SmartPool } from '@socketlite/sending-queue'
import { CloseReason } from '@socketlite/socket-base'
import { AsyncSocketSession } from '../src/index.js'

/** What bench/load-client.mjs takes. */
interface LoadClientJob {
  port: number
  connections: number
  depth: number
  /** Bytes of one request. */
  requestSize: number
  /** Bytes the server sends back per request. */
  replySize: number
  warmupMs: number
  measureMs: number
}

/** What bench/load-client.mjs posts back. */
interface LoadClientResult {
  requests: number
  seconds: number
  errors: number
}

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const depth = Number(process.env.BENCH_DEPTH ?? 16)
/** The sessions' send-stall deadline (ms, 0 = off): BENCH_SEND_STALL=60000 measures its cost on the send path. */
const sendStallTimeOut = Number(process.env.BENCH_SEND_STALL ?? 0)

type Implementation = 'bare' | 'session'

interface Scenario {
  name: string
  requestSize: number
  replySize: number
  serve(socket: net.Socket, implementation: Implementation): void
}

const burstPieces = 16
const burstPieceSize = 16
const burstReply = Buffer.alloc(burstPieceSize, 0x62)

/** One chunk pool for every session of the server, as an app server has. */
const pool = new SmartPool()

function sessionOf(socket: net.Socket, onData: (session: AsyncSocketSession, data: Buffer) => void): void {
  const session = new AsyncSocketSession(socket, {
    sendHighWaterMark: 1_048_576,
    sendLowWaterMark: 524_288,
    closeTimeOut: 1_000,
    sendStallTimeOut,
    sendPool: pool,
  })
  session.start({
    onData: (data) => onData(session, data),
    onClosed: () => {},
  })
  socket.once('end', () => void session.close(CloseReason.ClientClosing))
}

const scenarios: Scenario[] = [
  {
    name: 'echo 128 B',
    requestSize: 128,
    replySize: 128,
    serve(socket, implementation) {
      if (implementation === 'bare') {
        socket.setNoDelay(true)
        socket.on('data', (data) => socket.write(data))
        socket.on('error', () => {})
      } else sessionOf(socket, (session, data) => session.trySend(data))
    },
  },
  {
    name: `burst ${burstPieces}x${burstPieceSize} B`,
    requestSize: 8,
    replySize: burstPieces * burstPieceSize,
    serve(socket, implementation) {
      let partial = 0
      const requestsIn = (data: Buffer): number => {
        partial += data.length
        const complete = Math.floor(partial / 8)
        partial -= complete * 8
        return complete
      }
      if (implementation === 'bare') {
        socket.setNoDelay(true)
        socket.on('data', (data) => {
          for (let request = requestsIn(data); request > 0; request -= 1) {
            for (let piece = 0; piece < burstPieces; piece += 1) socket.write(burstReply)
          }
        })
        socket.on('error', () => {})
      } else {
        sessionOf(socket, (session, data) => {
          for (let request = requestsIn(data); request > 0; request -= 1) {
            for (let piece = 0; piece < burstPieces; piece += 1) session.trySend(burstReply)
          }
        })
      }
    },
  },
]

async function measure(scenario: Scenario, implementation: Implementation): Promise<{ rate: number; elu: number }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    scenario.serve(socket, implementation)
  })
  server.listen({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as net.AddressInfo
  const job: LoadClientJob = {
    port,
    connections,
    depth,
    requestSize: scenario.requestSize,
    replySize: scenario.replySize,
    warmupMs: 300,
    measureMs: seconds * 1_000,
  }
  const worker = new Worker(new URL('./load-client.mjs', import.meta.url), { workerData: job })
  const eluStart = performance.eventLoopUtilization()
  const result = await new Promise<LoadClientResult>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const elu = performance.eventLoopUtilization(eluStart).utilization
  await worker.terminate()
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => server.close(resolve))
  if (result.errors > 0) console.warn(`  (${result.errors} client errors)`)
  return { rate: result.requests / result.seconds, elu }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

const format = (rate: number): string => `${Math.round(rate).toLocaleString('en-US').padStart(11)} req/s`

console.log(
  `AsyncSocketSession vs bare node:net — ${connections} connections x depth ${depth}, ${seconds} s x ${rounds} rounds (median), Node ${process.version}`,
)
for (const scenario of scenarios) {
  const bare: number[] = []
  const session: number[] = []
  const bareElu: number[] = []
  const sessionElu: number[] = []
  for (let round = 0; round < rounds; round += 1) {
    // Alternate the order so drift (thermal, other load) does not favour one side.
    const order: Implementation[] = round % 2 === 0 ? ['bare', 'session'] : ['session', 'bare']
    for (const implementation of order) {
      const { rate, elu } = await measure(scenario, implementation)
      if (implementation === 'bare') {
        bare.push(rate)
        bareElu.push(elu)
      } else {
        session.push(rate)
        sessionElu.push(elu)
      }
    }
  }
  const bareRate = median(bare)
  const sessionRate = median(session)
  console.log(`${scenario.name}`)
  console.log(`  bare net           ${format(bareRate)}   server loop busy ${(median(bareElu) * 100).toFixed(0)} %`)
  console.log(
    `  AsyncSocketSession ${format(sessionRate)}   server loop busy ${(median(sessionElu) * 100).toFixed(0)} %`,
  )
  console.log(
    `  ratio session/bare ${(sessionRate / bareRate).toFixed(2)}   (rounds: bare ${bare.map(Math.round).join(', ')}; session ${session.map(Math.round).join(', ')})`,
  )
}
