import { AppServer } from '@socketlite/app-server'
import { attachHandlers } from './handlers.js'
import type { MultiPortApp, MultiPortOptions } from './multi-port-app.js'

/**
 * One server with two `listeners`, an external and an internal port: one config (limits, timeouts) and one session
 * table for both. A session's role is read from the local port it came in on.
 */
export function createMultiPortServer(options: MultiPortOptions): MultiPortApp {
  const server = new AppServer({
    config: {
      name: 'multi-port-server',
      listeners: [
        { ip: '127.0.0.1', port: options.externalPort },
        { ip: '127.0.0.1', port: options.internalPort },
      ],
    },
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  // endpoints[] follows the order of config.listeners.
  const isExternal = (session: { localEndPoint: { port: number } }) =>
    session.localEndPoint.port === server.endpoints[0]?.port
  attachHandlers(server, {
    roleOf: (session) => (isExternal(session) ? 'external' : 'internal'),
    notifyExternal: (line) => server.broadcast(line, isExternal),
    externalCount: () => server.getSessions(isExternal).length,
  })
  return {
    async start() {
      const [external, internal] = await server.start()
      if (external === undefined || internal === undefined) throw new Error('unreachable: two listeners configured')
      return { external, internal }
    },
    stop: () => server.stop(),
  }
}
