import dgram from 'node:dgram'
import { lookup } from 'node:dns/promises'
import type tls from 'node:tls'
import type { SmartPool } from '@socketlite/sending-queue'
import { AsyncSocketSession, type SocketSession } from '@socketlite/session-async'
import { TlsSocketSession } from '@socketlite/session-tls'
import { type DatagramSender, UdpSocketSession } from '@socketlite/session-udp'
import { ConnectError, type EndPoint, SocketError } from '@socketlite/socket-base'

/** The TLS options a client passes on to Node (the server's certificate is checked unless `rejectUnauthorized: false`). */
export type ClientTlsConnectionOptions = Pick<
  tls.ConnectionOptions,
  'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'
>

/** Where and how {@link openConnection} connects (resolved client options). */
export interface ConnectionTarget {
  readonly host: string
  readonly port: number
  readonly mode: 'tcp' | 'udp'
  /** Node's TLS client options for a TLS connection (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`). */
  readonly tls: Readonly<ClientTlsConnectionOptions> | undefined
  /** The whole connect (name resolution, TCP, TLS handshake) must be done within this many ms. */
  readonly connectTimeOut: number
  readonly session: {
    readonly sendHighWaterMark: number
    readonly sendLowWaterMark: number
    readonly closeTimeOut: number
    readonly sendPool: SmartPool
    readonly noDelay: boolean
    readonly keepAliveTime: number
  }
}

/** One connection of a client: its session, and what the session does not own. */
export interface Connection {
  readonly session: SocketSession
  /** Largest datagram (UDP); 0 for a stream. */
  readonly maxDatagramSize: number
  /** UDP: an error of the datagram socket (e.g. `ECONNREFUSED` from an ICMP "port unreachable"). */
  onSocketError: ((error: Error) => void) | undefined
  /** Release what the session does not own, once it closed (UDP: the datagram socket). */
  dispose(): void
}

function ignoreError(): void {}

function streamConnection(session: SocketSession): Connection {
  return { session, maxDatagramSize: 0, onSocketError: undefined, dispose() {} }
}

/**
 * Connect to `target` and make the connection a session (not started yet). Rejects with `ConnectError`
 * (`ERR_CONNECT_FAILED`) whatever fails, within `connectTimeOut`: the cause is the system error (`ECONNREFUSED`,
 * `ENOTFOUND`, ...), the `TlsHandshakeError` of a failed TLS handshake (`ERR_TLS_HANDSHAKE`: a certificate that does
 * not verify, a server that does not answer it), or the reason `signal` was aborted with.
 */
export async function openConnection(target: ConnectionTarget, signal: AbortSignal): Promise<Connection> {
  const { host, port, connectTimeOut } = target
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), connectTimeOut)
  const both = AbortSignal.any([signal, deadline.signal])
  try {
    if (target.mode === 'udp') return await openDatagram(target, both)
    const init = {
      host,
      port,
      timeout: connectTimeOut,
      signal: both,
      ...target.session,
    }
    if (target.tls === undefined) return streamConnection(await AsyncSocketSession.connect(init))
    return streamConnection(
      await TlsSocketSession.connect({ ...target.tls, ...init, handshakeTimeOut: connectTimeOut }),
    )
  } catch (error) {
    if (signal.aborted) throw new ConnectError(`Connecting to ${host}:${port} was aborted`, { cause: signal.reason })
    if (deadline.signal.aborted) {
      throw new ConnectError(`Connecting to ${host}:${port} timed out after ${connectTimeOut} ms`, { cause: error })
    }
    if (SocketError.isSocketError(error) && error.code === 'ERR_CONNECT_FAILED') throw error
    const detail = error instanceof Error ? error.message : String(error)
    throw new ConnectError(`Cannot connect to ${host}:${port}: ${detail}`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}

/** A connected datagram socket (only the server's datagrams reach it) and a UDP session over it. */
async function openDatagram(target: ConnectionTarget, signal: AbortSignal): Promise<Connection> {
  const { host, port } = target
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  aborted.catch(ignoreError)
  const { address, family } = await Promise.race([lookup(host), aborted])
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
  socket.on('error', ignoreError)
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.connect(port, address, () => {
          socket.removeListener('error', reject)
          resolve()
        })
      }),
      aborted,
    ])
  } catch (error) {
    socket.close()
    throw error
  }
  const remoteEndPoint: EndPoint = { address, port, family: family === 6 ? 'IPv6' : 'IPv4' }
  const local = socket.address()
  const localEndPoint: EndPoint = { address: local.address, port: local.port, family: remoteEndPoint.family }
  const maxDatagramSize = family === 6 ? 65_527 : 65_507
  const sender: DatagramSender = {
    maxDatagramSize,
    send(data, _remote, callback) {
      // Connected: the kernel sends to the server.
      socket.send(data, (error) => callback(error ?? null))
    },
  }
  let session: UdpSocketSession
  try {
    session = new UdpSocketSession({ sender, remoteEndPoint, localEndPoint, ...target.session })
  } catch (error) {
    socket.close()
    throw error
  }
  let open = true
  const connection: Connection = {
    session,
    maxDatagramSize,
    onSocketError: undefined,
    dispose() {
      if (!open) return
      open = false
      socket.close()
    },
  }
  socket.on('message', (datagram) => void session.receive(datagram))
  socket.on('error', (error) => connection.onSocketError?.(error))
  return connection
}
