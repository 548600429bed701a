import { parseArgs } from 'node:util'
import { RedisAdapter } from '@socketlite/redis-adapter'
import { createChatServer } from './server.js'

const usage = `Usage: node dist/main.js [--port <port>] [--redis <url>]

SuperSocketLite's ChatServer tutorial: login, rooms and chat over a line protocol (try nc -C).

Options:
  --port <port>           TCP port, 0 = any free port (default: 2030)
  --redis <url>           join the other instances on this Redis (redis://host:port): rooms span them all
  -h, --help              show this help and exit

Prints "listening tcp://IP:PORT" once per listener, then serves until SIGINT or SIGTERM, which stop it
gracefully (exit code 0). A bad command line exits with code 2.
`

/** `chat-server: error: <message>` on stderr and exit code 2 (the convention of socketlite-echo and -load). */
function usageError(message: string): never {
  process.stderr.write(`chat-server: error: ${message}\n(see node dist/main.js --help)\n`)
  process.exit(2)
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '2030' },
        redis: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
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
if (values.redis !== undefined && !/^rediss?:\/\/./.test(values.redis))
  usageError(`--redis must be a redis:// or rediss:// URL, got "${values.redis}"`)

const adapter = values.redis === undefined ? undefined : new RedisAdapter({ url: values.redis })
const server = createChatServer({ port, ...(adapter === undefined ? {} : { adapter }) })
// Stop on SIGINT/SIGTERM; the handlers are in place before the address is printed, so no early signal kills us.
const started = server.start()
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void started.finally(() => server.stop()))
for (const { ip, port } of await started) console.log(`listening tcp://${ip}:${port}`)
