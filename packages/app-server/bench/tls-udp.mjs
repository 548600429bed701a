// TLS and UDP echo benchmark of @socketlite/app-server against a bare node:tls line echo and a bare node:dgram echo
// (see README "Performance"). Each server runs in its own process; one load-generator process drives all of them,
// alternating, with the same load per transport:
//   TLS: BENCH_TLS_CONNECTIONS (default 100) connections, each with BENCH_WINDOW (32) pipelined 36-byte lines in flight;
//   UDP: BENCH_UDP_CLIENTS (default 50) client sockets, each with BENCH_UDP_WINDOW (8) one-line datagrams in flight.
// Every echo is verified. BENCH_SECONDS (default 6) is the measured time of the whole run, shared equally by the four
// servers and split over BENCH_ROUNDS (2) rounds that alternate their order. The default run takes about 12 s.
import { makeSelfSignedCertificate } from '@socketlite/testing'
import * as kit from './bench-kit.mjs'

const settings = { seconds: 6, rounds: 2, tlsConnections: 100, window: 32, udpClients: 50, udpWindow: 8 }
const { seconds, rounds, tlsConnections, window, udpClients, udpWindow } = kit.benchSettings(settings)
const load = await kit.startLoadGenerator('tls-udp-load.mjs')
const certificate = await makeSelfSignedCertificate()

const transports = {
  tls: {
    kinds: ['tls-bare', 'tls-bare-copy', 'tls-socketlite-frames', 'tls-socketlite'],
    names: ['bare, chunk written back', 'bare, lines copied', 'app-server, frames back', 'app-server, command line'],
  },
  udp: { kinds: ['udp-bare', 'udp-socketlite'], names: ['bare node:dgram', '@socketlite/app-server'] },
}
const kinds = [...transports.tls.kinds, ...transports.udp.kinds]
const servers = await kit.startServers(kinds, (kind) =>
  kit.child('tls-udp-server.mjs', [kind, certificate.certFile, certificate.keyFile]),
)

const secondsPerRun = seconds / kinds.length / rounds
const { totals, problems } = await kit.runRounds(kinds, rounds, servers, (kind, server) => {
  const common = { port: server.port, seconds: secondsPerRun, warmup: kit.warmupSeconds }
  return kind.startsWith('tls')
    ? load.ask({ cmd: 'tls', ...common, ca: certificate.cert, connections: tlsConnections, window })
    : load.ask({ cmd: 'udp', ...common, clients: udpClients, window: udpWindow })
})

for (const [transport, { kinds: pair, names }] of Object.entries(transports)) {
  const load =
    transport === 'tls'
      ? `tls echo: ${tlsConnections} connections × ${window} lines of 36 B in flight`
      : `udp echo: ${udpClients} clients × ${udpWindow} datagrams of one 36 B line in flight`
  console.log(`${load}, ${(seconds / kinds.length).toFixed(1)} s per server in ${rounds} rounds`)
  pair.forEach((kind, index) => {
    const lost = transport === 'udp' ? `  lost ${totals[kind].lost}` : ''
    console.log(kit.resultLine(names[index], totals[kind], rounds, lost))
  })
  const bare = transport === 'tls' ? pair[1] : pair[0]
  for (const kind of pair.filter((name) => name.includes('socketlite'))) {
    const name = transport === 'tls' ? `${names[pair.indexOf(kind)]} / bare, lines copied` : 'socketlite / bare'
    console.log(`  ratio ${name}: ${(kit.rate(totals[kind]) / kit.rate(totals[bare])).toFixed(3)}`)
  }
}
console.log(kit.verifiedLine(problems))

await Promise.all([load.stop(), ...kinds.map((kind) => servers[kind].stop())])
await certificate.cleanup()
process.exitCode = problems === 0 ? 0 : 1
