import { parseArgs } from 'node:util'
import { createChatServer } from './server.js'

// node dist/main.js [--port 2030]
const { values } = parseArgs({ options: { port: { type: 'string', default: '2030' } } })
const server = createChatServer({ port: Number(values.port) })
for (const { ip, port } of await server.start()) console.log(`listening tcp://${ip}:${port}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.stop())
