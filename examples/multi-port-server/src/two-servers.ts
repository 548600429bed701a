import { AppServer } from '@socketlite/app-server'
import { attachHandlers } from './handlers.js'
import type { MultiPortApp, MultiPortOptions } from './multi-port-app.js'

/**
 * Two servers in one process, as in SuperSocketLite's `MultiPortServer` tutorial: each port gets its own config (here
 * the internal one takes at most 16 connections and larger requests) and its own session table. The handlers are
 * shared; the role is the server's.
 */
export function createMultiPortServers(options: MultiPortOptions): MultiPortApp {
  const logFactory = options.logFactory === undefined ? {} : { logFactory: options.logFactory }
  const external = new AppServer({
    config: { name: 'external', port: options.externalPort, maxRequestLength: 4_096 },
    ...logFactory,
  })
  const internal = new AppServer({
    config: { name: 'internal', port: options.internalPort, maxConnectionNumber: 16, maxRequestLength: 1_048_576 },
    ...logFactory,
  })
  for (const server of [external, internal]) {
    attachHandlers(server, {
      roleOf: () => (server === internal ? 'internal' : 'external'),
      notifyExternal: (line) => external.broadcast(line),
      externalCount: () => external.sessionCount,
    })
  }
  return {
    async start() {
      const [externalEndpoint] = await external.start()
      try {
        const [internalEndpoint] = await internal.start()
        if (externalEndpoint === undefined || internalEndpoint === undefined) throw new Error('unreachable')
        return { external: externalEndpoint, internal: internalEndpoint }
      } catch (error) {
        await external.stop()
        throw error
      }
    },
    async stop() {
      await Promise.all([external.stop(), internal.stop()])
    },
  }
}
