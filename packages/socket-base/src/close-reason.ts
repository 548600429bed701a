/**
 * Why a session closed. The numeric values are SuperSocket's, so logs and wire formats stay compatible.
 *
 * - `ServerShutdown`: `server.stop()` closed the session.
 * - `ClientClosing`: the peer ended the connection (TCP FIN).
 * - `ServerClosing`: `session.close()` was called without a reason.
 * - `ApplicationError`: a request or connect handler threw or rejected.
 * - `SocketError`: the connection was reset or failed.
 * - `TimeOut`: the session was idle longer than `idleSessionTimeOut`.
 * - `ProtocolError`: the receive filter rejected the byte stream (malformed or too large).
 * - `InternalError`: a bug of the framework.
 */
export const CloseReason = {
  Unknown: 0,
  ServerShutdown: 1,
  ClientClosing: 2,
  ServerClosing: 3,
  ApplicationError: 4,
  SocketError: 5,
  TimeOut: 6,
  ProtocolError: 7,
  InternalError: 8,
} as const

/** One of the {@link CloseReason} values. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason]

/** The name of a {@link CloseReason} key. */
export type CloseReasonName = keyof typeof CloseReason

const closeReasonNames: readonly CloseReasonName[] = [
  'Unknown',
  'ServerShutdown',
  'ClientClosing',
  'ServerClosing',
  'ApplicationError',
  'SocketError',
  'TimeOut',
  'ProtocolError',
  'InternalError',
]

/**
 * The name of a close reason, for logs: `closeReasonName(CloseReason.TimeOut) === 'TimeOut'`.
 * A value that is not a close reason gives `'Unknown'`.
 */
export function closeReasonName(reason: number): CloseReasonName {
  // Only integer indexes: a string such as 'length' from untyped code must not reach the array's own properties.
  return (Number.isInteger(reason) && closeReasonNames[reason]) || 'Unknown'
}
