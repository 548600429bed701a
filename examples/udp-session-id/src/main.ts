import { parseArgs } from 'node:util'
import { createUdpSessionIdServer } from './server.js'

// node dist/main.js [--port 5555]
const { values } = parseArgs({ options: { port: { type: 'string', default: '5555' } } })
const server = createUdpSessionIdServer({ port: Number(values.port) })
// Stop on SIGINT/SIGTERM; the handlers are in place before the address is printed, so no early signal kills us.
const started = server.start()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void started.finally(() => server.stop()))
}
for (const { ip, port } of await started) console.log(`listening udp://${ip}:${port}`)
