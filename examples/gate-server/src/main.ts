import { parseArgs } from 'node:util'
import { createBackendServer } from './backend-server.js'
import { createGateServer } from './server.js'

// node dist/main.js [--port 11020] [--backend-port 12021]   a gate (and, without --backend-port, a backend of its own)
// node dist/main.js --backend [--port 12021]                 a backend only
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'backend-port': { type: 'string' },
    backend: { type: 'boolean', default: false },
  },
})
// SIGINT/SIGTERM handlers go in before anything is printed, so an early signal still stops gracefully.
const signalled = new Promise<void>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
})
const stops: (() => Promise<void>)[] = []
let backendPort = Number(values['backend-port'])
if (values.backend || values['backend-port'] === undefined) {
  // A backend alone (--backend), or the gate's own backend on an ephemeral port.
  const backend = createBackendServer({ port: Number(values.backend ? (values.port ?? 12021) : 0) })
  const [endpoint] = await backend.start()
  backendPort = endpoint?.port ?? 0
  console.log(`listening tcp://${endpoint?.ip}:${backendPort} (backend)`)
  stops.push(() => backend.stop())
}
if (!values.backend) {
  const gate = createGateServer({
    port: Number(values.port ?? 11020),
    backend: { host: '127.0.0.1', port: backendPort },
  })
  const { ip, port } = await gate.start()
  console.log(`listening tcp://${ip}:${port} (gate)`)
  stops.unshift(() => gate.stop())
}
const stop = async () => {
  for (const each of stops) await each()
}
await signalled
await stop()
