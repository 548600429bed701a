import type { AppServer, AppSession } from '@socketlite/app-server'

/** Which port a session came in on: `external` (clients, C2S) or `internal` (other servers, S2S). */
export type PortRole = 'external' | 'internal'

/** What the shared handlers need to know about the process's servers. */
export interface MultiPortContext {
  /** The role of the port `session` came in on. */
  roleOf(session: AppSession): PortRole
  /** `trySend` `line` to every external session; returns how many accepted it. */
  notifyExternal(line: string): number
  /** External sessions open now. */
  externalCount(): number
}

/**
 * The handlers both ports share. Either port: `ECHO <text>` → `<text>`. Internal port only: `NOTICE <text>` sends
 * `NOTICE <text>` to every external session and replies `SENT <n>`; `COUNT` → the number of external sessions.
 * Anything else → `DENIED <command>`.
 */
export function attachHandlers(server: AppServer, context: MultiPortContext): void {
  server.on('newRequestReceived', (session, request) => {
    const internal = context.roleOf(session) === 'internal'
    if (request.key === 'ECHO') return session.send(`${request.body}\r\n`)
    if (internal && request.key === 'NOTICE') {
      return session.send(`SENT ${context.notifyExternal(`NOTICE ${request.body}\r\n`)}\r\n`)
    }
    if (internal && request.key === 'COUNT') return session.send(`${context.externalCount()}\r\n`)
    return session.send(`DENIED ${request.key}\r\n`)
  })
}
