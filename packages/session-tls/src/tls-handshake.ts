import type net from 'node:net'
import tls from 'node:tls'
import { InvalidArgumentError, TlsHandshakeError } from '@socketlite/socket-base'

/** Options of {@link secureServerSocket}. */
export interface SecureServerSocketOptions {
  /** The server certificate (e.g. `TlsCertificateStore.secureContext`). */
  secureContext: tls.SecureContext
  /**
   * Ask the client for a certificate and refuse the connection unless it presents one that verifies against the
   * context's CA (`caFile`).
   * @default false
   */
  requestCert?: boolean
  /**
   * A client that has not completed the handshake within this many milliseconds is dropped (its TCP connection
   * destroyed). A positive integer.
   */
  handshakeTimeOut: number
  /** Aborts the handshake (the socket is destroyed). */
  signal?: AbortSignal
}

function ignoreError(): void {}

/** The peer-verification result of a server-side TLS socket: `null` when the peer certificate verified. */
function verifyError(socket: tls.TLSSocket): Error | null {
  // A server-side TLSSocket made outside tls.Server records the verification result but does not act on it (that
  // is tls.Server's job); read it the way tls.Server does. Fail closed if the handle cannot tell.
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle
  if (handle === undefined || handle === null || typeof handle.verifyError !== 'function') {
    return new Error('the peer certificate cannot be verified')
  }
  return handle.verifyError()
}

/**
 * Run the server side of a TLS handshake over an accepted TCP socket: wrap it in a `tls.TLSSocket` (`isServer`)
 * and resolve with it once the handshake is complete (and, with `requestCert`, the client's certificate verified).
 *
 * Whatever goes wrong, the TCP connection is destroyed (not left open, as `tls.Server`'s own `handshakeTimeout`
 * does on Node 20) and the promise rejects with a {@link TlsHandshakeError} whose `cause` is the TLS error: a
 * client that stays silent or stalls past `handshakeTimeOut`, a plain-text client, a failed negotiation, a client
 * without a valid certificate when one is required, the peer closing, or `signal` aborting. The TLS socket that
 * resolves has no `data` listener yet: application bytes the client sent right after the handshake wait in it.
 *
 * @throws {InvalidArgumentError} (synchronously) `handshakeTimeOut` is not a positive integer or there is no
 *   `secureContext`.
 */
export function secureServerSocket(socket: net.Socket, options: SecureServerSocketOptions): Promise<tls.TLSSocket> {
  const { secureContext, handshakeTimeOut, signal } = options
  const requestCert = options.requestCert === true
  if (!Number.isInteger(handshakeTimeOut) || handshakeTimeOut < 1) {
    throw new InvalidArgumentError(`handshakeTimeOut must be a positive integer (ms), got ${String(handshakeTimeOut)}`)
  }
  if (typeof secureContext !== 'object' || secureContext === null) {
    throw new InvalidArgumentError('secureContext must be a tls.SecureContext')
  }
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    // Until the TLS socket exists, errors of the raw socket must not crash the process.
    socket.on('error', ignoreError)
    let cleanup = (): void => {}
    const fail = (tlsSocket: tls.TLSSocket | undefined, error: TlsHandshakeError): void => {
      cleanup()
      tlsSocket?.on('error', ignoreError)
      tlsSocket?.destroy()
      socket.destroy()
      reject(error)
    }
    if (signal?.aborted) {
      fail(undefined, new TlsHandshakeError('The TLS handshake was aborted', { cause: signal.reason }))
      return
    }
    if (socket.destroyed) {
      fail(undefined, new TlsHandshakeError('The connection closed before the TLS handshake'))
      return
    }
    let tlsSocket: tls.TLSSocket
    try {
      tlsSocket = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext,
        requestCert,
        rejectUnauthorized: requestCert,
      })
    } catch (error) {
      fail(undefined, new TlsHandshakeError('Cannot start the TLS handshake', { cause: error }))
      return
    }
    const onSecure = (): void => {
      if (requestCert) {
        const problem = verifyError(tlsSocket)
        if (problem !== null) {
          fail(tlsSocket, new TlsHandshakeError('The client certificate was refused', { cause: problem }))
          return
        }
      }
      cleanup()
      // The session takes over error handling; until then an error must not crash the process.
      tlsSocket.on('error', ignoreError)
      resolve(tlsSocket)
    }
    const onError = (error: Error): void => {
      fail(tlsSocket, new TlsHandshakeError(`The TLS handshake failed: ${error.message}`, { cause: error }))
    }
    const onClose = (): void => {
      fail(tlsSocket, new TlsHandshakeError('The connection closed during the TLS handshake'))
    }
    const onEnd = (): void => {
      fail(tlsSocket, new TlsHandshakeError('The client ended the connection during the TLS handshake'))
    }
    const onAbort = (): void => {
      fail(tlsSocket, new TlsHandshakeError('The TLS handshake was aborted', { cause: signal?.reason }))
    }
    const timer = setTimeout(() => {
      fail(
        tlsSocket,
        new TlsHandshakeError(`The client did not complete the TLS handshake within ${handshakeTimeOut} ms`),
      )
    }, handshakeTimeOut)
    cleanup = (): void => {
      clearTimeout(timer)
      tlsSocket.removeListener('secure', onSecure)
      tlsSocket.removeListener('error', onError)
      tlsSocket.removeListener('close', onClose)
      tlsSocket.removeListener('end', onEnd)
      signal?.removeEventListener('abort', onAbort)
    }
    tlsSocket.once('secure', onSecure)
    tlsSocket.on('error', onError)
    tlsSocket.once('close', onClose)
    tlsSocket.once('end', onEnd)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Options of {@link secureClientSocket}: Node's TLS client options (without `socket`), a timeout and a signal. */
export interface SecureClientSocketOptions extends Omit<tls.ConnectionOptions, 'socket' | 'host' | 'port' | 'path'> {
  /**
   * The server that has not completed the handshake within this many milliseconds is dropped (the connection is
   * destroyed). A positive integer.
   */
  handshakeTimeOut: number
  /** Aborts the handshake (the socket is destroyed). */
  signal?: AbortSignal
}

/**
 * Run the client side of a TLS handshake over a connected TCP socket (e.g. from `connectSocket`): wrap it with
 * `tls.connect({ socket })` and resolve with the TLS socket once the handshake is complete and, unless
 * `rejectUnauthorized: false`, the server's certificate verified (against `ca`, or the system CAs, for
 * `servername`). The resolved socket has a no-op `error` listener (its owner adds its own) and no `data` listener:
 * bytes the server sent right after the handshake wait in it.
 *
 * Whatever goes wrong, the connection is destroyed and the promise rejects with a {@link TlsHandshakeError} whose
 * `cause` is the TLS error: a certificate that does not verify, a failed negotiation, a server that stays silent or
 * stalls past `handshakeTimeOut`, the server closing, or `signal` aborting.
 *
 * @throws {InvalidArgumentError} (synchronously) `handshakeTimeOut` is not a positive integer.
 */
export function secureClientSocket(socket: net.Socket, options: SecureClientSocketOptions): Promise<tls.TLSSocket> {
  const { handshakeTimeOut, signal, ...connectionOptions } = options
  if (!Number.isInteger(handshakeTimeOut) || handshakeTimeOut < 1) {
    throw new InvalidArgumentError(`handshakeTimeOut must be a positive integer (ms), got ${String(handshakeTimeOut)}`)
  }
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    socket.on('error', ignoreError)
    if (signal?.aborted) {
      socket.destroy()
      reject(new TlsHandshakeError('The TLS handshake was aborted', { cause: signal.reason }))
      return
    }
    let secured: tls.TLSSocket
    try {
      secured = tls.connect({ ...connectionOptions, socket })
    } catch (error) {
      socket.destroy()
      reject(new TlsHandshakeError('Cannot start the TLS handshake', { cause: error }))
      return
    }
    const fail = (error: TlsHandshakeError): void => {
      cleanup()
      secured.on('error', ignoreError)
      secured.destroy()
      socket.destroy()
      reject(error)
    }
    const onError = (error: Error): void =>
      fail(new TlsHandshakeError(`The TLS handshake failed: ${error.message}`, { cause: error }))
    const onClose = (): void => fail(new TlsHandshakeError('The connection closed during the TLS handshake'))
    const onAbort = (): void => fail(new TlsHandshakeError('The TLS handshake was aborted', { cause: signal?.reason }))
    const timer = setTimeout(
      () => fail(new TlsHandshakeError(`The TLS handshake did not complete within ${handshakeTimeOut} ms`)),
      handshakeTimeOut,
    )
    const onSecure = (): void => {
      cleanup()
      // The session takes over error handling; until then an error must not crash the process.
      secured.on('error', ignoreError)
      resolve(secured)
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      secured.removeListener('secureConnect', onSecure)
      secured.removeListener('error', onError)
      secured.removeListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    secured.once('secureConnect', onSecure)
    secured.on('error', onError)
    secured.once('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
