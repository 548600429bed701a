import type { CloseReason, Logger, ResolvedServerConfig, TextEncoding } from '@socketlite/socket-base'
import type { AppSession } from './app-session.js'
import type { RefusalSummary } from './refusal-summary.js'
import type { RequestRouter } from './request-router.js'
import type { ServerCluster } from './server-cluster.js'
import type { ServerCounters } from './server-stats.js'

// The one internal mechanism between the parts of app-server: members keyed by these symbols, as Node's own
// lib/net.js keys a socket's internals (`kHandle`, `kSetNoDelay`, ...). The symbols are not exported from the
// package, so these members are no API; everything else a part needs is passed to its constructor. Who defines and
// who uses each member:
//
//   AppServer[kServerContext]    the server's side of its sessions (ServerContext), read by AppSession's constructor
//   AppServer[kListenersChanged] called after any listener was added or removed (ListenerAwareEmitter)
//   AppSession[kAttach]          the server gives a new session its receive filter (before onInit)
//   AppSession[kStart]           the server starts a registered session (events, then reading)
//   AppSession[kLastActive]      when bytes last arrived, for the idle sweep
//   AppSession[kTrySendShared]   broadcast: queue a payload shared by many sessions (handed over, never copied)
//   AppSession[kAdmission]       what admission gives back when the session closes: the address whose connection
//                                slot it holds, and for a UDP peer its route (see Admitted)
//   AppSession[kWritable]        its dispatcher: the socket session is writable again (waiting sends go on)
//   AppSession[kSendingEnded]    its dispatcher: no more sending (waiting sends are rejected)
//   AppSession[kDeadlines]       the deadline sweep: close it when a handler or a frame is past its deadline
//   AppSession[kShutdown]        stop(): dispatch nothing more; close once the running handler settled
//   AppSession[kAbandon]         stop()'s deadline: abandon the running handler and close now

export const kServerContext: unique symbol = Symbol('socketlite.serverContext')
export const kListenersChanged: unique symbol = Symbol('socketlite.listenersChanged')
export const kAttach: unique symbol = Symbol('socketlite.attach')
export const kStart: unique symbol = Symbol('socketlite.start')
export const kLastActive: unique symbol = Symbol('socketlite.lastActive')
export const kTrySendShared: unique symbol = Symbol('socketlite.trySendShared')
export const kAdmission: unique symbol = Symbol('socketlite.admission')
export const kWritable: unique symbol = Symbol('socketlite.writable')
export const kSendingEnded: unique symbol = Symbol('socketlite.sendingEnded')
export const kDeadlines: unique symbol = Symbol('socketlite.deadlines')
export const kShutdown: unique symbol = Symbol('socketlite.shutdown')
export const kAbandon: unique symbol = Symbol('socketlite.abandon')

/** The server's side of its sessions: one object per server, shared by every session and dispatcher. */
export interface ServerContext<TRequest> {
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  readonly counters: ServerCounters
  /** `config.textEncoding`. */
  readonly encoding: TextEncoding
  /** Where repeated refusals (malformed datagrams, ...) are logged as periodic summaries. */
  readonly refusals: RefusalSummary
  /** Who handles a session's connect and its requests (listeners, commands). */
  readonly router: RequestRouter<TRequest>
  /** The server's side of its cluster adapter: group membership, join and leave. */
  readonly cluster: ServerCluster
  /** The session is closed and no handler of it runs: unregister it and emit `sessionClosed`. Called once. */
  sessionClosed(session: AppSession<TRequest>, reason: CloseReason): void
}

/** Whether `value` is a promise (or any thenable): a handler that went asynchronous. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (typeof value === 'object') return value !== null && typeof (value as { then?: unknown }).then === 'function'
  return typeof value === 'function' && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * What admission recorded about a session it admitted: the remote address whose connection slot it holds, or, when
 * its connection must be told when the session closed (a UDP peer's route), both.
 */
export type Admitted = string | { readonly address: string; readonly connection: { release(): void } }

/**
 * Times kept per session (start, last activity) are milliseconds since this module loaded, not since 1970: small
 * integers that V8 stores in the object itself, where `Date.now()` would need a heap number per field (16 bytes a
 * session). Convert with {@link clockToDate}.
 */
const clockOrigin = Date.now()

/** Milliseconds since {@link clockOrigin}. */
export function clock(): number {
  const time = Date.now() - clockOrigin
  // `| 0` makes a small integer (SMI) of a reading below 2^30 (12 days): V8 stores it in a session's field as is,
  // where the plain difference (a heap number) makes every session box its timestamps in objects of their own.
  return time < 0x40000000 ? time | 0 : time
}

/** A {@link clock} reading as a `Date`. */
export function clockToDate(time: number): Date {
  return new Date(clockOrigin + time)
}
