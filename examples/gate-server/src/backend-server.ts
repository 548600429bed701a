import { AppServer, type AppSession, type LogFactory } from '@socketlite/app-server'
import { splitOnce } from './split-once.js'

/** Options of {@link createBackendServer}. */
export interface BackendServerOptions {
  /** Port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/**
 * The game server behind the gate (the original tutorial left it out). Gates connect to it and speak the link
 * protocol: `JOIN <clientId>`, `PART <clientId>` and `FWD <clientId> <line>` in, `TO <clientId> <line>` out. A
 * forwarded `ECHO <text>` answers `<text>`, `PLAYERS` the number of clients joined through every gate.
 */
export function createBackendServer(options: BackendServerOptions): AppServer {
  const server = new AppServer({
    // Gate links are long-lived and may be quiet: no idle clearing.
    config: { name: 'game-server', port: options.port, clearIdleSession: false },
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  const players = new Map<string, AppSession>() // client id → the gate link it came through
  server.on('newRequestReceived', (gate, request) => {
    const [clientId, line] = splitOnce(request.body)
    if (request.key === 'JOIN') players.set(clientId, gate)
    else if (request.key === 'PART') players.delete(clientId)
    else if (request.key === 'FWD') {
      const [command, text] = splitOnce(line)
      const answer =
        command === 'ECHO' ? text : command === 'PLAYERS' ? `PLAYERS ${players.size}` : `UNKNOWN ${command}`
      return gate.send(`TO ${clientId} ${answer}\r\n`)
    }
  })
  server.on('sessionClosed', (gate) => {
    for (const [clientId, link] of players) if (link === gate) players.delete(clientId)
  })
  return server
}
