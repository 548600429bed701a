import type { ListenerInfo, LogFactory } from '@socketlite/app-server'

/** Options of both variants of the example. */
export interface MultiPortOptions {
  /** Port for clients (C2S) on 127.0.0.1; 0 = ephemeral. */
  externalPort: number
  /** Port for other servers (S2S) on 127.0.0.1; 0 = ephemeral. */
  internalPort: number
  /** Where the servers log. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/** The example's two ports, served by one server or by two. */
export interface MultiPortApp {
  /** Start listening on both ports; resolves with the bound endpoints. */
  start(): Promise<{ external: ListenerInfo; internal: ListenerInfo }>
  /** Stop (both servers); every session is closed. */
  stop(): Promise<void>
}
