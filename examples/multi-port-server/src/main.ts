import { parseArgs } from 'node:util'
import { createMultiPortServer } from './server.js'
import { createMultiPortServers } from './two-servers.js'

// node dist/main.js [--port 2020] [--internal-port 2021] [--two-servers]
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '2020' },
    'internal-port': { type: 'string', default: '2021' },
    'two-servers': { type: 'boolean', default: false },
  },
})
const options = { externalPort: Number(values.port), internalPort: Number(values['internal-port']) }
const app = values['two-servers'] ? createMultiPortServers(options) : createMultiPortServer(options)
// SIGINT/SIGTERM handlers go in before anything is printed, so an early signal still stops gracefully.
const signalled = new Promise<void>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
})
const { external, internal } = await app.start()
console.log(`listening tcp://${external.ip}:${external.port} (external)`)
console.log(`listening tcp://${internal.ip}:${internal.port} (internal)`)
await signalled
await app.stop()
