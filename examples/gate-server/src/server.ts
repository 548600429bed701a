import { AppServer, type BinaryRequestInfo, type ListenerInfo, type LogFactory } from '@socketlite/app-server'
import {
  CommandLineReceiveFilter,
  closeReasonName,
  type ReconnectOptions,
  SocketClient,
  type StringRequestInfo,
} from '@socketlite/client'
import { BinaryTerminatorReceiveFilterFactory } from '@socketlite/protocol'
import { splitOnce } from './split-once.js'

/** Options of {@link createGateServer}. */
export interface GateServerOptions {
  /** Port for clients on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** The backend to relay to. */
  backend: { host: string; port: number }
  /**
   * How the link to the backend reconnects after a failure or a drop (exponential back-off with full jitter).
   * @default { initialDelay: 500, maxDelay: 10000 } (and the client's factor 2, jitter 1, no attempt limit)
   */
  reconnect?: ReconnectOptions
  /** Where the gate logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/** A running gate: the client-facing server and the backend link. */
export interface GateServer {
  /** The client-facing server. */
  readonly clients: AppServer<BinaryRequestInfo>
  /**
   * The link to the backend: a `SocketClient` that reconnects by itself (events `connected`, `disconnected`,
   * `reconnecting`, `message`).
   */
  readonly link: SocketClient<StringRequestInfo>
  /** Start serving clients and connecting to the backend (the link comes up by itself); resolves with the client endpoint. */
  start(): Promise<ListenerInfo>
  /** Stop both. */
  stop(): Promise<void>
}

const crlf = Buffer.from('\r\n')

/**
 * SuperSocketLite's `GateServer` tutorial: clients connect to the gate and send lines; the gate relays each line,
 * untouched, to the backend as `FWD <clientId> <line>` and routes the backend's `TO <clientId> <line>` back to that
 * client. Client arrivals and departures are announced (`JOIN` / `PART`), and every client is announced again
 * whenever the link (re)connects.
 */
export function createGateServer(options: GateServerOptions): GateServer {
  const logFactory = options.logFactory === undefined ? {} : { logFactory: options.logFactory }
  // Client lines are relayed as bytes: no decoding, no parsing.
  const clients = new AppServer<BinaryRequestInfo>({
    config: { name: 'gate', port: options.port },
    receiveFilterFactory: new BinaryTerminatorReceiveFilterFactory({ terminator: '\r\n' }),
    ...logFactory,
  })
  // The original's GameServerProxy: one outbound connection, made again whenever it fails or drops.
  const link = new SocketClient<StringRequestInfo>({
    ...options.backend,
    receiveFilter: new CommandLineReceiveFilter(),
    reconnect: { initialDelay: 500, maxDelay: 10_000, ...options.reconnect },
  })
  // While the link is down nothing is announced: every client is announced again once it is back.
  const announce = (line: string) => {
    if (link.connected) void link.send(`${line}\r\n`).catch(() => {})
  }

  clients.on('newSessionConnected', (client) => announce(`JOIN ${client.sessionId}`))
  clients.on('sessionClosed', (client) => announce(`PART ${client.sessionId}`))
  clients.on('newRequestReceived', async (client, { body }) => {
    try {
      // Waits while the backend is slow (this client is then not read: backpressure end to end).
      if (link.connected) return await link.send(Buffer.concat([Buffer.from(`FWD ${client.sessionId} `), body, crlf]))
    } catch {
      // SendTimeoutError (the backend stopped reading) or SessionClosedError (the link dropped meanwhile)
    }
    await client.send('ERROR backend unavailable\r\n')
  })
  link.on('connected', () => {
    for (const client of clients.getAllSessions()) announce(`JOIN ${client.sessionId}`)
  })
  link.on('disconnected', (reason, info) => {
    if (!info.willReconnect) return // stop()
    clients.logger.warn('The backend link dropped; reconnecting', {
      reason: closeReasonName(reason),
      err: info.error,
      unsent: info.unsent.messages,
    })
  })
  link.on('reconnecting', (attempt, delay, cause) => {
    if (cause !== undefined) clients.logger.warn('Cannot reach the backend; retrying', { err: cause, attempt, delay })
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
      // Retries with back-off until the backend is there; rejects only when stop() closes the link first.
      link.connect().catch(() => {})
      if (endpoint === undefined) throw new Error('unreachable: one listener configured')
      return endpoint
    },
    async stop() {
      await Promise.all([clients.stop(), link.close()])
    },
  }
}
