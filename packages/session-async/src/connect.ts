import net from 'node:net'
import { ConnectError, InvalidArgumentError } from '@socketlite/socket-base'

/** Options of {@link connectSocket}. */
export interface ConnectSocketOptions {
  /** Host name or IP address to connect to. */
  host: string
  /** Port, 1 to 65535. */
  port: number
  /**
   * Milliseconds the connection may take (name resolution included); then the attempt fails. A positive integer.
   * @default 10000
   */
  timeout?: number
  /** Aborts the attempt (the socket is destroyed). Has no effect once connected. */
  signal?: AbortSignal
  /** Local address to connect from. */
  localAddress?: string
  /** IP version to resolve `host` to: `4`, `6`, or `0` for either. @default 0 */
  family?: 0 | 4 | 6
}

function ignoreError(): void {}

/**
 * Connect a TCP socket to `host:port`, with a timeout and an abort signal: the outbound side of what a listener's
 * accept gives. The socket resolves connected, with `allowHalfOpen` set (its owner ends its side itself) and a
 * no-op `error` listener so that a reset arriving before its owner takes over cannot crash the process, exactly
 * like an accepted socket. `AsyncSocketSession.connect` builds on it; use it directly to check a connection before
 * it becomes a session (a server's limits and connection filters), or to start a TLS handshake over it.
 *
 * @throws {InvalidArgumentError} (synchronously) a bad `host`, `port` or `timeout`.
 * @throws {ConnectError} (`ERR_CONNECT_FAILED`, asynchronously) the connection was refused, failed, timed out or was
 *   aborted; `cause` is the system error (`ECONNREFUSED`, `ENOTFOUND`, ...) or the abort reason. The socket is
 *   destroyed.
 */
export function connectSocket(options: ConnectSocketOptions): Promise<net.Socket> {
  const { host, port, timeout = 10_000, signal, localAddress, family } = options ?? ({} as ConnectSocketOptions)
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('host must be a non-empty string')
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
  }
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new InvalidArgumentError(`timeout must be a positive integer (ms), got ${String(timeout)}`)
  }
  return new Promise<net.Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ConnectError(`Connecting to ${host}:${port} was aborted`, { cause: signal.reason }))
      return
    }
    const socket = net.connect({
      host,
      port,
      allowHalfOpen: true,
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(family === undefined ? {} : { family }),
    })
    const fail = (error: ConnectError): void => {
      cleanup()
      socket.on('error', ignoreError)
      socket.destroy()
      reject(error)
    }
    const onError = (error: Error): void =>
      fail(new ConnectError(`Cannot connect to ${host}:${port}: ${error.message}`, { cause: error }))
    const onAbort = (): void =>
      fail(new ConnectError(`Connecting to ${host}:${port} was aborted`, { cause: signal?.reason }))
    const timer = setTimeout(
      () => fail(new ConnectError(`Connecting to ${host}:${port} timed out after ${timeout} ms`)),
      timeout,
    )
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      socket.removeListener('connect', onConnect)
      signal?.removeEventListener('abort', onAbort)
    }
    const onConnect = (): void => {
      cleanup()
      // Like accepted sockets: an early reset must not crash the process before the owner takes over.
      socket.on('error', ignoreError)
      resolve(socket)
    }
    socket.once('error', onError)
    socket.once('connect', onConnect)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
