import { parseArgs } from 'node:util'
import { createMultiPortServer } from './server.js'
import { createMultiPortServers } from './two-servers.js'

const name = 'multi-port-server'
const usage = `Usage: node dist/main.js [--port <port>] [--internal-port <port>] [--two-servers]

SuperSocketLite's MultiPortServer tutorial: an external and an internal port with shared handlers.

Options:
  --port <port>           external (client) TCP port, 0 = any free port (default: 2020)
  --internal-port <port>  internal (server-to-server) TCP port, 0 = any free port (default: 2021)
  --two-servers           two AppServers in one process instead of one with two listeners
  -h, --help              show this help and exit

Prints "listening tcp://IP:PORT" once per listener, then serves until SIGINT or SIGTERM, which stop it
gracefully (exit code 0). A bad command line exits with code 2.
`

/** Writes `<name>: error: <message>` (the convention of socketlite-echo and socketlite-load) and exits with 2. */
function usageError(message: string): never {
  process.stderr.write(`${name}: error: ${message}\n(see node dist/main.js --help)\n`)
  process.exit(2)
}

function port(flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) {
    usageError(`--${flag} must be a port number from 0 to 65535 (0 = any free port), got "${text}"`)
  }
  return Number(text)
}

function readCommandLine() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '2020' },
        'internal-port': { type: 'string', default: '2021' },
        'two-servers': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values
  } catch (error) {
    // node:util's messages: "Unknown option '--x'. To specify a positional argument …" — keep the first sentence
    const message = (error as Error).message.split(/\.\s|\n/)[0] ?? ''
    return usageError(message.charAt(0).toLowerCase() + message.slice(1))
  }
}

const values = readCommandLine()
if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}

const options = {
  externalPort: port('port', values.port),
  internalPort: port('internal-port', values['internal-port']),
}
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
