// Echo benchmark of @socketlite/app-server against a bare node:net line echo (see README "Performance").
// Each server runs in its own process; one load-generator process drives both, alternating, with the same load:
// 100 connections, each keeping a bounded window of pipelined 36-byte lines in flight, every echo verified.
// Then each, started afresh, holds 10 000 idle connections (opened by the load generator) to measure memory per
// connection, twice:
// right after the burst of connections, and settled, once V8 found the process idle and gave back the young
// generation the burst grew (its memory reducer, some 8 s later; at most BENCH_SETTLE_SECONDS). The first counts
// what a burst of accepts costs for a while, the second what an idle server holds.
//
// The bare echoes: one writes each received chunk back as it is (its speed swings with how the reads fall), one
// copies each line into one reply buffer per read (what a server does per request: look at it, build a reply). The
// app-server: the lines handed back as views of the received chunk (`copy: false`: a read's echoes leave as one
// buffer), and the command-line echo (parsed into key and body, a string reply).
//
// Environment: BENCH_SECONDS (measured seconds of the echo comparison, default 10, shared equally by the servers
// and split over BENCH_ROUNDS rounds that alternate their order),
// BENCH_ROUNDS (default 2), BENCH_CONNECTIONS (100), BENCH_WINDOW (lines in flight per connection, 32),
// BENCH_IDLE_CONNECTIONS (10000; 0 skips the idle measurement), BENCH_SETTLE_SECONDS (30), BENCH_BINARY=1 (also measure app-server with
// frames as bytes, BinaryTerminatorReceiveFilter: the server's own cost without text decoding and parsing).
import * as kit from './bench-kit.mjs'

const { seconds, rounds, connections, window, idleConnections, settleSeconds } = kit.benchSettings({
  seconds: 10,
  rounds: 2,
  connections: 100,
  window: 32,
  idleConnections: 10_000,
  settleSeconds: 30,
})
const load = await kit.startLoadGenerator('load-generator.mjs')

const kinds = [
  'bare',
  'bare-copy',
  'socketlite-frames',
  'socketlite',
  ...(process.env.BENCH_BINARY === '1' ? ['socketlite-binary'] : []),
]
const names = {
  bare: 'bare, chunk written back',
  'bare-copy': 'bare, lines copied',
  'socketlite-frames': 'app-server, frames back',
  socketlite: 'app-server, command line',
  'socketlite-binary': 'app-server, byte frames',
}
const startServer = (kind) => kit.child('echo-server.mjs', [kind], ['--expose-gc'])
const servers = await kit.startServers(kinds, startServer)

const secondsPerRun = seconds / kinds.length / rounds
const { totals, problems } = await kit.runRounds(kinds, rounds, servers, (_, server) =>
  load.ask({ cmd: 'echo', port: server.port, connections, window, seconds: secondsPerRun, warmup: kit.warmupSeconds }),
)

console.log(
  `echo: ${connections} connections × ${window} lines of 36 B in flight, ${(seconds / kinds.length).toFixed(1)} s` +
    ` per server in ${rounds} rounds`,
)
for (const kind of kinds) console.log(kit.resultLine(names[kind], totals[kind], rounds))
const ratio = (kind, base) => (kit.rate(totals[kind]) / kit.rate(totals[base])).toFixed(3)
for (const kind of kinds.filter((name) => name.startsWith('socketlite'))) {
  console.log(
    `  ratio ${names[kind]}: ${ratio(kind, 'bare-copy')} of the copying bare echo, ${ratio(kind, 'bare')} of the` +
      ' chunk-writeback one (target >= 0.9)',
  )
}
console.log(kit.verifiedLine(problems))

await Promise.all(kinds.map((kind) => servers[kind].stop()))

if (idleConnections > 0) {
  console.log(
    `idle: ${idleConnections.toLocaleString('en-US')} connections held open, each server in a fresh process` +
      ' (target: app-server <= bare + 1 KiB RSS per connection)',
  )
  const batch = 400 // below the listen backlog (511): no SYN is dropped and retried a second later
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  for (const kind of kinds) {
    const [server] = Object.values(await kit.startServers([kind], startServer))
    const before = await server.ask({ cmd: 'mark', gc: true })
    let opened = 0
    while (opened < idleConnections) {
      opened += (await load.ask({ cmd: 'open', port: server.port, count: Math.min(batch, idleConnections - opened) }))
        .opened
      // Let the server accept them all before the next batch.
      for (let attempt = 0; attempt < 200; attempt++) {
        if ((await server.ask({ cmd: 'mark' })).sessions >= opened) break
        await pause(10)
      }
    }
    const burst = await server.ask({ cmd: 'mark', gc: true })
    // Idle now: wait (bounded) until V8 has shrunk the young generation the burst grew, and it stays put for 2 s.
    const settleBy = Date.now() + settleSeconds * 1000
    let settledEarly = false
    let last = burst.newSpace
    let steady = 0
    while (Date.now() < settleBy) {
      await pause(500)
      const { newSpace } = await server.ask({ cmd: 'mark' })
      steady = newSpace < burst.newSpace && newSpace === last ? steady + 1 : 0
      last = newSpace
      if (steady >= 4) {
        settledEarly = true
        break
      }
    }
    const settled = await server.ask({ cmd: 'mark', gc: true })
    const perConnection = (mark) =>
      `RSS ${((mark.rss - before.rss) / opened / 1024).toFixed(2)} KiB, heap ${((mark.heap - before.heap) / opened).toFixed(0)} B`
    console.log(
      `  ${names[kind].padEnd(24)} ${burst.sessions} sessions, per connection: after the burst ${perConnection(burst)};` +
        ` settled ${perConnection(settled)}${settledEarly ? '' : ` (young generation not back after ${settleSeconds} s)`}`,
    )
    await load.ask({ cmd: 'close' })
    await server.stop()
  }
}

await load.stop()
process.exitCode = problems === 0 ? 0 : 1
