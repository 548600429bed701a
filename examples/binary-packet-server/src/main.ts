import { parseArgs } from 'node:util'
import { createBinaryPacketServer } from './server.js'

const usage = `Usage: node dist/main.js [--port <port>]

SuperSocketLite's BinaryPacketServer tutorial: binary packets with a 12-byte header, dispatched by packet id.

Options:
  --port <port>           TCP port, 0 = any free port (default: 11021)
  -h, --help              show this help and exit

Prints "listening tcp://IP:PORT" once per listener, then serves until SIGINT or SIGTERM, which stop it
gracefully (exit code 0). A bad command line exits with code 2.
`

/** `binary-packet-server: error: <message>` on stderr and exit code 2 (the convention of socketlite-echo and -load). */
function usageError(message: string): never {
  process.stderr.write(`binary-packet-server: error: ${message}\n(see node dist/main.js --help)\n`)
  process.exit(2)
}

const { values } = (() => {
  try {
    return parseArgs({ options: { port: { type: 'string', default: '11021' }, help: { type: 'boolean', short: 'h' } } })
  } catch (error) {
    const first = (error as Error).message.split(/\.\s|\n/)[0] ?? '' // node:util's first sentence
    return usageError(first.charAt(0).toLowerCase() + first.slice(1))
  }
})()
if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}
const port = Number(values.port)
if (!/^\d{1,5}$/.test(values.port) || port > 65_535)
  usageError(`--port must be a port number from 0 to 65535 (0 = any free port), got "${values.port}"`)

const server = createBinaryPacketServer({ port })
// Stop on SIGINT/SIGTERM; the handlers are in place before the address is printed, so no early signal kills us.
const started = server.start()
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void started.finally(() => server.stop()))
for (const { ip, port } of await started) console.log(`listening tcp://${ip}:${port}`)
