/**
 * Kinds of errors the load tester counts:
 * - `connect`: a connection (or TLS handshake) could not be made, or a UDP target answered "port unreachable";
 * - `timeout`: a message got no complete echo within `--timeout` (the connection is then dropped and re-made);
 * - `reset`: the server reset the connection (`ECONNRESET`, `EPIPE`);
 * - `mismatch`: an echo differed from what was sent, or more bytes came back than were sent;
 * - `closedByServer`: the server closed an open connection (FIN);
 * - `other`: anything else (TLS alerts after the handshake, unexpected socket errors).
 */
export type ErrorKind = 'connect' | 'timeout' | 'reset' | 'mismatch' | 'closedByServer' | 'other'

/** Every error kind, in report order. */
export const errorKinds: readonly ErrorKind[] = ['connect', 'timeout', 'reset', 'mismatch', 'closedByServer', 'other']

/** Errors counted per kind. */
export type ErrorCounts = Record<ErrorKind, number>

/** A zeroed {@link ErrorCounts}. */
export function emptyErrorCounts(): ErrorCounts {
  return { connect: 0, timeout: 0, reset: 0, mismatch: 0, closedByServer: 0, other: 0 }
}

/**
 * Sum of every kind.
 *
 * @param counts - the counts
 */
export function totalErrors(counts: ErrorCounts): number {
  let total = 0
  for (const kind of errorKinds) total += counts[kind]
  return total
}

/**
 * How an error of an open connection is counted (`connect` before the connection was up).
 *
 * @param error - the socket error
 * @param connected - whether the connection had been established
 */
export function classifyError(error: unknown, connected: boolean): ErrorKind {
  if (!connected) return 'connect'
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset'
  return 'other'
}

/**
 * The label of a kind in the human table (`closed-by-server` for `closedByServer`).
 *
 * @param kind - the kind
 */
export function errorKindLabel(kind: ErrorKind): string {
  return kind === 'closedByServer' ? 'closed-by-server' : kind
}

/**
 * An error's message, prefixed with its code (`ECONNREFUSED: …`) when the message does not already name it.
 *
 * @param error - a socket error
 */
export function describeError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message
}
