import diagnosticsChannel from 'node:diagnostics_channel'
import type { AppSession } from './app-session.js'

/**
 * The name of the `node:diagnostics_channel` channel on which every server publishes a {@link RequestHandledMessage}
 * once a request's handler (a command or the `newRequestReceived` listeners) has settled. Nothing is measured or
 * published while the channel has no subscriber, so a server pays for it only when someone listens
 * (`@socketlite/metrics` does, for its handler latency histogram).
 *
 * @example
 * ```ts
 * import diagnosticsChannel from 'node:diagnostics_channel'
 * import { requestHandledChannelName, type RequestHandledMessage } from '@socketlite/app-server'
 *
 * diagnosticsChannel.subscribe(requestHandledChannelName, (message) => {
 *   const { session, duration, failed } = message as RequestHandledMessage
 *   if (duration > 100) console.log('slow request', session.sessionId, duration, failed)
 * })
 * ```
 */
export const requestHandledChannelName = 'socketlite:app-server:request-handled'

/** What {@link requestHandledChannelName} carries, one message per handled request. */
export interface RequestHandledMessage {
  /** The session whose request was handled (`session.server` is its server, `session.listener` its listener). */
  readonly session: AppSession<unknown>
  /**
   * Milliseconds from the call of the handler until it returned (a synchronous handler) or its promise settled (an
   * asynchronous one), measured with `performance.now()`.
   */
  readonly duration: number
  /** The handler threw or its promise rejected. */
  readonly failed: boolean
}

/** The channel itself; held here so that it lives as long as the server module. */
export const requestHandledChannel = diagnosticsChannel.channel(requestHandledChannelName)

/** Publish one {@link RequestHandledMessage} for a handler called at `started` (a `performance.now()` reading). */
export function publishRequestHandled(session: AppSession<unknown>, started: number, failed: boolean): void {
  const message: RequestHandledMessage = { session, duration: performance.now() - started, failed }
  requestHandledChannel.publish(message)
}
