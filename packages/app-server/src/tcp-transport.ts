import type net from 'node:net'
import { TcpSocketListener } from '@socketlite/listener'
import type { ChunkPool } from '@socketlite/sending-queue'
import { AsyncSocketSession } from '@socketlite/session-async'
import type {
  EndPoint,
  ListenerInfo,
  ResolvedListenerConfig,
  ResolvedServerConfig,
  SocketSession,
} from '@socketlite/socket-base'
import type { IncomingConnection, Transport, TransportHost } from './transport.js'

/** The remote endpoint of a connected socket; `undefined` once it is gone. */
export function remoteEndPointOf(socket: net.Socket): EndPoint | undefined {
  const address = socket.remoteAddress
  const port = socket.remotePort
  if (address === undefined || port === undefined) return undefined
  return { address, port, family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4' }
}

/** A plain TCP connection (accepted or connected out) that becomes an {@link AsyncSocketSession}. */
export class TcpIncomingConnection implements IncomingConnection {
  readonly remoteEndPoint: EndPoint
  readonly #socket: net.Socket
  readonly #config: ResolvedServerConfig
  readonly #sendPool: ChunkPool

  constructor(socket: net.Socket, remoteEndPoint: EndPoint, config: ResolvedServerConfig, sendPool: ChunkPool) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.#config = config
    this.#sendPool = sendPool
  }

  open(): SocketSession {
    const config = this.#config
    return new AsyncSocketSession(this.#socket, {
      sendHighWaterMark: config.sendHighWaterMark,
      sendLowWaterMark: config.sendLowWaterMark,
      closeTimeOut: config.closeTimeOut,
      sendPool: this.#sendPool,
      noDelay: config.noDelay,
      keepAliveTime: config.keepAliveTime,
    })
  }

  refuse(): void {
    this.#socket.destroy()
  }
}

/** Plain TCP on one endpoint: a {@link TcpSocketListener} whose connections go to the host. */
export class TcpTransport implements Transport {
  readonly #listener: TcpSocketListener
  readonly #config: ResolvedListenerConfig
  readonly #host: TransportHost
  #info: ListenerInfo | undefined

  constructor(config: ResolvedListenerConfig, host: TransportHost) {
    this.#config = config
    this.#host = host
    this.#listener = new TcpSocketListener({ ip: config.ip, port: config.port, backlog: config.backlog })
    this.#listener.on('connection', (socket) => this.#onConnection(socket))
    this.#listener.on('error', (error) => host.listenerError(error, this.#info))
  }

  async start(): Promise<ListenerInfo> {
    const endPoint = await this.#listener.start()
    this.#info = Object.freeze({
      ip: endPoint.address,
      port: endPoint.port,
      family: endPoint.family,
      security: this.#config.security,
      mode: 'tcp',
    })
    return this.#info
  }

  async stop(): Promise<void> {
    await this.#listener.stop()
  }

  #onConnection(socket: net.Socket): void {
    const remoteEndPoint = remoteEndPointOf(socket)
    const info = this.#info
    if (remoteEndPoint === undefined || info === undefined) {
      socket.destroy()
      return
    }
    const host = this.#host
    host.acceptConnection(new TcpIncomingConnection(socket, remoteEndPoint, host.config, host.sendPool), info)
  }
}
