import { parseArgs } from 'node:util'
import { createBackendServer } from './backend-server.js'
import { createGateServer } from './server.js'

const name = 'gate-server'
const usage = `Usage: node dist/main.js [--port <port>] [--backend-port <port>] | --backend [--port <port>]

SuperSocketLite's GateServer tutorial: a gate that relays its clients' lines to a backend it connects to.
Without --backend-port the gate starts a backend of its own on a free port; --backend runs a backend alone.

Options:
  --port <port>           the gate's TCP port (with --backend: the backend's), 0 = any free port
                          (default: 11020; with --backend: 12021)
  --backend-port <port>   relay to the backend already listening on this port of 127.0.0.1
  --backend               run a backend only
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
        port: { type: 'string' },
        'backend-port': { type: 'string' },
        backend: { type: 'boolean', default: false },
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

if (values.backend && values['backend-port'] !== undefined) {
  usageError('--backend and --backend-port exclude each other')
}
// SIGINT/SIGTERM handlers go in before anything is printed, so an early signal still stops gracefully.
const signalled = new Promise<void>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
})
const stops: (() => Promise<void>)[] = []
let backendPort = values['backend-port'] === undefined ? 0 : port('backend-port', values['backend-port'])
if (values.backend || values['backend-port'] === undefined) {
  // A backend alone (--backend), or the gate's own backend on an ephemeral port.
  const backend = createBackendServer({ port: values.backend ? port('port', values.port ?? '12021') : 0 })
  const [endpoint] = await backend.start()
  backendPort = endpoint?.port ?? 0
  console.log(`listening tcp://${endpoint?.ip}:${backendPort} (backend)`)
  stops.push(() => backend.stop())
}
if (!values.backend) {
  const gate = createGateServer({
    port: port('port', values.port ?? '11020'),
    backend: { host: '127.0.0.1', port: backendPort },
  })
  const { ip, port: gatePort } = await gate.start()
  console.log(`listening tcp://${ip}:${gatePort} (gate)`)
  stops.unshift(() => gate.stop())
}
await signalled
for (const stop of stops) await stop()
