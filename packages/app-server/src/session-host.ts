import type { CloseReason, Logger, ResolvedServerConfig } from '@socketlite/socket-base'
import type { AppSession } from './app-session.js'
import type { ServerCounters } from './server-stats.js'

/**
 * The server's side of its sessions: what an {@link AppSession} needs from the server that owns it. Internal to
 * app-server (not re-exported); the server implements it.
 */
export interface SessionHost<TRequest> {
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  readonly counters: ServerCounters
  /** `config.textEncoding` as a Buffer encoding. */
  readonly encoding: BufferEncoding
  /**
   * Run the `newSessionConnected` listeners; returns what they returned (a promise when one is asynchronous).
   * @throws whatever a listener throws.
   */
  emitConnected(session: AppSession<TRequest>): unknown
  /**
   * Run the `newRequestReceived` listeners; returns what they returned (a promise when one is asynchronous).
   * @throws whatever a listener throws.
   */
  emitRequest(session: AppSession<TRequest>, request: TRequest): unknown
  /** The session is closed and no handler of it runs: unregister it and emit `sessionClosed`. Called once. */
  sessionClosed(session: AppSession<TRequest>, reason: CloseReason): void
}
