import { AppServer, type LogFactory } from '@socketlite/app-server'
import { SwitchReceiveFilter } from './switch-receive-filter.js'

/** Options of {@link createSwitchServer}. */
export interface SwitchServerOptions {
  /** Port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/**
 * SuperSocketLite's `SwitchReceiveFilter` tutorial: messages framed `Y…00 FF` or `*…#`, mixed freely on one
 * connection, each holding a command line. `ECHO <text>` replies `<text>\r\n`; other commands reply
 * `UNKNOWN <command>\r\n`. Call `start()` on the result.
 */
export function createSwitchServer(options: SwitchServerOptions): AppServer {
  const server = new AppServer({
    config: { name: 'switch-receive-filter', port: options.port },
    receiveFilterFactory: () => new SwitchReceiveFilter(),
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  server.on('newRequestReceived', (session, request) => {
    if (request.key === 'ECHO') return session.send(`${request.body}\r\n`)
    return session.send(`UNKNOWN ${request.key}\r\n`)
  })
  return server
}
