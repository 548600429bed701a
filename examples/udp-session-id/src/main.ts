import { parseArgs } from 'node:util'
import { createUdpSessionIdServer } from './server.js'

const name = 'udp-session-id'
const usage = `Usage: node dist/main.js [--port <port>]

SuperSocketLite's SimpleUDPServer tutorial: UDP sessions named by the id each datagram carries.

Options:
  --port <port>           UDP port, 0 = any free port (default: 5555)
  -h, --help              show this help and exit

Prints "listening udp://IP:PORT" once per listener, then serves until SIGINT or SIGTERM, which stop it
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
        port: { type: 'string', default: '5555' },
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

const server = createUdpSessionIdServer({ port: port('port', values.port) })
// Stop on SIGINT/SIGTERM; the handlers are in place before the address is printed, so no early signal kills us.
const started = server.start()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void started.finally(() => server.stop()))
}
for (const { ip, port } of await started) console.log(`listening udp://${ip}:${port}`)
