import { lookup } from 'node:dns/promises'
import net from 'node:net'
import type tls from 'node:tls'
import { type AsyncSocketSessionInit, connectSocket } from '@socketlite/session-async'
import { ConnectError, InvalidArgumentError, type ResolvedServerConfig } from '@socketlite/socket-base'
import type { ActiveConnectOptions } from './app-server-options.js'
import type { ServerEndpoints } from './endpoints.js'
import { type PendingConnection, remoteEndPointOf, TcpConnection, TlsClientConnection } from './pending-connection.js'
import type { RejectionCause } from './server-stats.js'

/**
 * The outbound side of `activeConnect`: check the options, connect, and return the connection for admission (the
 * same limits, connection filters, session class and events as accepted ones).
 *
 * - TCP mode: `connectSocket` of session-async; with `tls`, the client handshake (session-tls's
 *   `secureClientSocket`) runs after admission's cheap checks, in `open()`.
 * - UDP mode: a peer of the first running UDP endpoint of the address's family (session-udp's demultiplexer), which
 *   sends from that endpoint's socket and receives what the address sends to it. No packet is sent yet.
 *
 * @throws {InvalidArgumentError} bad options (synchronously checked, thrown from the returned promise).
 * @throws {ConnectError} the connection failed, timed out or was aborted (`ERR_CONNECT_FAILED`), the host did not
 *   resolve, or UDP mode has no running endpoint of the family.
 */
export async function connectOut(
  options: ActiveConnectOptions,
  config: ResolvedServerConfig,
  streamInit: AsyncSocketSessionInit,
  endpoints: ServerEndpoints,
): Promise<PendingConnection> {
  const {
    host,
    port,
    timeout = config.handshakeTimeOut,
    signal,
    tls: tlsOptions,
  } = options ?? ({} as ActiveConnectOptions)
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('host must be a non-empty string')
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
  }
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new InvalidArgumentError(`timeout must be a positive integer (ms), got ${String(timeout)}`)
  }
  if (
    tlsOptions !== undefined &&
    typeof tlsOptions !== 'boolean' &&
    (typeof tlsOptions !== 'object' || tlsOptions === null)
  ) {
    throw new InvalidArgumentError('tls must be a boolean or tls.ConnectionOptions')
  }
  if (config.mode === 'udp') {
    if (tlsOptions !== undefined && tlsOptions !== false) {
      throw new InvalidArgumentError('TLS is not available in udp mode')
    }
    let resolved: { address: string; family: number }
    try {
      resolved = await lookup(host)
    } catch (error) {
      throw new ConnectError(`Cannot resolve ${host}`, { cause: error })
    }
    return endpoints.connectDatagram({
      address: resolved.address,
      port,
      family: resolved.family === 6 ? 'IPv6' : 'IPv4',
    })
  }
  const socket = await connectSocket({ host, port, timeout, ...(signal === undefined ? {} : { signal }) })
  const remote = remoteEndPointOf(socket)
  if (remote === undefined) {
    socket.destroy()
    throw new ConnectError(`The connection to ${host}:${port} closed at once`)
  }
  if (tlsOptions === undefined || tlsOptions === false) return new TcpConnection(socket, remote, undefined, streamInit)
  const clientOptions: tls.ConnectionOptions = tlsOptions === true ? {} : { ...tlsOptions }
  if (clientOptions.servername === undefined && net.isIP(host) === 0) clientOptions.servername = host
  return new TlsClientConnection(socket, remote, streamInit, clientOptions, timeout)
}

/** The error `activeConnect` rejects with when admission refused its connection. */
export function refusedConnectError(
  connection: PendingConnection,
  cause: RejectionCause,
  host: string,
  port: number,
): ConnectError {
  if (connection instanceof TlsClientConnection && connection.failure !== undefined) {
    return new ConnectError(`The TLS handshake with ${host}:${port} failed`, { cause: connection.failure })
  }
  const what = connection.sessionId === undefined ? 'connection to' : 'session with'
  return new ConnectError(`The ${what} ${host}:${port} was refused (${cause})`, { code: 'ERR_CONNECTION_REFUSED' })
}
