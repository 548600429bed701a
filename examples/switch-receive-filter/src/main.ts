import { parseArgs } from 'node:util'
import { createSwitchServer } from './server.js'

// node dist/main.js [--port 5550]
const { values } = parseArgs({ options: { port: { type: 'string', default: '5550' } } })
const server = createSwitchServer({ port: Number(values.port) })
// Stop on SIGINT/SIGTERM; the handlers are in place before the address is printed, so no early signal kills us.
const started = server.start()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void started.finally(() => server.stop()))
}
for (const { ip, port } of await started) console.log(`listening tcp://${ip}:${port}`)
