import { parseArgs } from 'node:util'
import { createUdpSessionIdServer } from './server.js'

// node dist/main.js [--port 5555]
const { values } = parseArgs({ options: { port: { type: 'string', default: '5555' } } })
const server = createUdpSessionIdServer({ port: Number(values.port) })
for (const { ip, port } of await server.start()) console.log(`listening udp://${ip}:${port}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.stop())
