import { AppServer, type BinaryRequestInfo, type ListenerInfo, type LogFactory } from '@socketlite/app-server'
import { BinaryTerminatorReceiveFilterFactory } from '@socketlite/protocol'
import { BackendLink } from './backend-link.js'
import { splitOnce } from './split-once.js'

/** Options of {@link createGateServer}. */
export interface GateServerOptions {
  /** Port for clients on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** The backend to relay to (an IP literal host). */
  backend: { host: string; port: number }
  /** Wait this long (ms) before reconnecting to the backend. @default 3000 (as the original) */
  retryDelay?: number
  /** Where the servers log. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/** A running gate: the client-facing server and the backend link. */
export interface GateServer {
  /** The client-facing server. */
  readonly clients: AppServer<BinaryRequestInfo>
  /** The outbound link to the backend (emits `up` and `down`). */
  readonly link: BackendLink
  /** Start serving clients and connect to the backend; resolves with the client endpoint. */
  start(): Promise<ListenerInfo>
  /** Stop both. */
  stop(): Promise<void>
}

const crlf = Buffer.from('\r\n')

/**
 * SuperSocketLite's `GateServer` tutorial: clients connect to the gate and send lines; the gate relays each line,
 * untouched, to the backend as `FWD <clientId> <line>` and routes the backend's `TO <clientId> <line>` back to that
 * client. Client arrivals and departures are announced (`JOIN` / `PART`), and announced again after a reconnect.
 */
export function createGateServer(options: GateServerOptions): GateServer {
  const logFactory = options.logFactory === undefined ? {} : { logFactory: options.logFactory }
  // Client lines are relayed as bytes: no decoding, no parsing.
  const clients = new AppServer<BinaryRequestInfo>({
    config: { name: 'gate', port: options.port },
    receiveFilterFactory: new BinaryTerminatorReceiveFilterFactory({ terminator: '\r\n' }),
    ...logFactory,
  })
  const link = new BackendLink({ ...options.backend, retryDelay: options.retryDelay ?? 3_000, ...logFactory })
  const announce = (line: string) => link.send(`${line}\r\n`).catch(() => {}) // lost with the link; re-sent on `up`

  clients.on('newSessionConnected', (client) => void announce(`JOIN ${client.sessionId}`))
  clients.on('sessionClosed', (client) => void announce(`PART ${client.sessionId}`))
  clients.on('newRequestReceived', async (client, { body }) => {
    try {
      await link.send(Buffer.concat([Buffer.from(`FWD ${client.sessionId} `), body, crlf]))
    } catch {
      // SessionClosedError (the link is down) or SendTimeoutError (the backend stopped reading)
      await client.send('ERROR backend unavailable\r\n')
    }
  })
  link.on('up', () => {
    for (const client of clients.getAllSessions()) void announce(`JOIN ${client.sessionId}`)
  })
  link.on('message', (request) => {
    if (request.key !== 'TO') return
    const [clientId, line] = splitOnce(request.body)
    const client = clients.getSessionById(clientId)
    // Never let one slow client hold up the link: a client that cannot take its line is dropped.
    if (client !== undefined && !client.trySend(`${line}\r\n`)) void client.close()
  })

  return {
    clients,
    link,
    async start() {
      const [endpoint] = await clients.start()
      await link.start()
      if (endpoint === undefined) throw new Error('unreachable: one listener configured')
      return endpoint
    },
    async stop() {
      await Promise.all([clients.stop(), link.stop()])
    },
  }
}
