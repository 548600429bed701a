import { UdpSocketListener } from '@socketlite/listener'
import { ReceivePipeline } from '@socketlite/protocol'
import { type DatagramSessionId, UdpDemultiplexer, type UdpDrop, type UdpPeer } from '@socketlite/session-udp'
import {
  CloseReason,
  ConnectError,
  type EndPoint,
  formatEndPoint,
  type ListenerInfo,
  type ReceiveFilter,
  type ResolvedListenerConfig,
  SocketError,
} from '@socketlite/socket-base'
import type { IncomingConnection, Transport, TransportHost } from './transport.js'

/**
 * `SO_RCVBUF` asked for every UDP listener: room for bursts of datagrams while the process is busy. The kernel caps
 * it (Linux: `net.core.rmem_max`).
 */
export const udpReceiveBufferSize = 4 * 1_048_576

/**
 * Datagrams of one session that may wait while its handler is busy (or while the session is being admitted), in
 * count and in bytes; more are dropped and counted in `getStats().datagramsDropped`.
 */
export const maxQueuedDatagrams = 1_024
export const maxQueuedDatagramBytes = 1_048_576

/**
 * A UDP endpoint: one bound {@link UdpSocketListener} shared by every peer, whose datagrams a
 * {@link UdpDemultiplexer} (session-udp) routes to sessions — by remote endpoint, or by the session id the receive
 * filter finds in each datagram (`UdpRequestInfo`). This transport admits the peers the demultiplexer reports (the
 * server's limits and connection filters) and reads the session ids: one filter per listener, made with no session,
 * reads each datagram's id first (the session's own filter parses the datagram again for dispatch).
 *
 * Datagrams that name no session (they do not parse, hold no request, mix ids, or carry none in session-id mode) are
 * dropped and counted in `getStats().datagramErrors`; datagrams for a session being closed, beyond its bounds, or of
 * a refused peer in `getStats().datagramsDropped`.
 */
export class UdpTransport implements Transport {
  readonly #listener: UdpSocketListener
  readonly #host: TransportHost
  /** Made at each start, once the socket is bound. */
  #demultiplexer: UdpDemultiplexer | undefined
  /** The listener's own filter for session-id mode; `null` when the factory cannot make one without a session. */
  #idPipeline: ReceivePipeline<unknown> | null | undefined
  /** The filter {@link UdpTransport.#idPipeline} starts every datagram with. */
  #idFilter: ReceiveFilter<unknown> | undefined
  /** A datagram that named no session was logged at warn level; later ones go to debug. */
  #warnedUnnamed = false
  #info: ListenerInfo | undefined

  constructor(config: ResolvedListenerConfig, host: TransportHost) {
    this.#host = host
    this.#listener = new UdpSocketListener({
      ip: config.ip,
      port: config.port,
      receiveBufferSize: udpReceiveBufferSize,
      sendBufferSize: udpReceiveBufferSize,
    })
    this.#listener.on('message', (data, remote) => this.#demultiplexer?.receive(data, remote))
    this.#listener.on('error', (error) => host.listenerError(error, this.#info))
  }

  /** The bound endpoint while running. */
  get info(): ListenerInfo | undefined {
    return this.#info
  }

  async start(): Promise<ListenerInfo> {
    const endPoint = await this.#listener.start()
    const host = this.#host
    const config = host.config
    const info: ListenerInfo = Object.freeze({
      ip: endPoint.address,
      port: endPoint.port,
      family: endPoint.family,
      security: 'none',
      mode: 'udp',
    })
    this.#demultiplexer = new UdpDemultiplexer({
      sender: this.#listener,
      localEndPoint: endPoint,
      session: {
        sendHighWaterMark: config.sendHighWaterMark,
        sendLowWaterMark: config.sendLowWaterMark,
        closeTimeOut: config.closeTimeOut,
        sendPool: host.sendPool,
        maxQueuedDatagrams,
        maxQueuedBytes: maxQueuedDatagramBytes,
      },
      sessionIdOf: (datagram) => this.#sessionIdOf(datagram),
      onPeer: (peer) => host.acceptConnection(connectionOf(peer), info),
      onDropped: (drop) => this.#dropped(drop),
    })
    this.#info = info
    return info
  }

  /**
   * Close every session of this listener with `ServerShutdown` (each sends what it queued, at most `closeTimeOut`),
   * then the socket.
   */
  async stop(): Promise<void> {
    await this.#demultiplexer?.closeAll(CloseReason.ServerShutdown)
    await this.#listener.stop()
    this.#demultiplexer = undefined
    this.#info = undefined
    this.#idPipeline = undefined
    this.#idFilter = undefined
  }

  /**
   * A session to `remote` made by this server (`activeConnect` in UDP mode): it sends from this listener's socket
   * and receives every datagram `remote` sends to it.
   * @throws {ConnectError} the listener is not running, or a session with `remote` exists already.
   */
  outbound(remote: EndPoint): IncomingConnection {
    const demultiplexer = this.#demultiplexer
    if (demultiplexer === undefined) throw new ConnectError('The UDP listener is not running')
    return connectionOf(demultiplexer.connect(remote))
  }

  #dropped(drop: UdpDrop): void {
    const counters = this.#host.counters
    if (drop.reason !== 'unnamed') {
      counters.datagramsDropped++
      return
    }
    // A datagram that names no session: nobody to give it to. It decides nothing and makes no session.
    counters.datagramErrors++
    const remoteKey = formatEndPoint(drop.remoteEndPoint)
    const error = drop.error
    const code = error === undefined ? undefined : SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
    const fields = code === undefined ? { remoteEndPoint: remoteKey } : { remoteEndPoint: remoteKey, code, err: error }
    const logger = this.#host.logger
    if (this.#warnedUnnamed) logger.debug('Datagram that names no session dropped', fields)
    else {
      this.#warnedUnnamed = true
      logger.warn('Datagram that names no session dropped (later ones are logged at debug level)', fields)
    }
  }

  /**
   * What the datagram's requests say about its session, read with the listener's own filter: the id they all carry,
   * `null` when none of them carries one, `undefined` when they say neither (no request, or mixed ids, or requests
   * with and without one). Throws the filter's error for a datagram that does not parse.
   */
  #sessionIdOf(datagram: Buffer): DatagramSessionId {
    if (this.#idPipeline === undefined) {
      try {
        this.#idFilter = this.#host.createListenerFilter()
        this.#idPipeline = new ReceivePipeline(this.#idFilter, { maxRequestLength: this.#host.config.maxRequestLength })
      } catch {
        // A factory that needs a session: this server uses endpoint mode.
        this.#idPipeline = null
      }
    }
    const pipeline = this.#idPipeline
    if (pipeline === null) return null
    pipeline.push(datagram)
    // drainDatagram resets the pipeline when it throws: the next datagram starts clean.
    const requests = pipeline.drainDatagram()
    // The filter is shared by every peer: a switch made by one datagram must not change how the next one is read.
    if (pipeline.filter !== this.#idFilter) pipeline.reset()
    let id: string | null | undefined
    for (const request of requests) {
      const carried = (request as { sessionId?: unknown } | null)?.sessionId
      const current = typeof carried === 'string' ? carried : null
      if (current === '') return undefined
      if (id === undefined) id = current
      else if (id === null || current === null) {
        if (id !== current) return undefined
      } else if (current.toLowerCase() !== id.toLowerCase()) return undefined
    }
    return id
  }
}

/** A peer of the demultiplexer as a connection for the server to admit. */
function connectionOf(peer: UdpPeer): IncomingConnection {
  return {
    get remoteEndPoint() {
      return peer.remoteEndPoint
    },
    sessionId: peer.sessionId,
    open: () => peer.open(),
    refuse: () => peer.refuse(),
    released: () => peer.release(),
  }
}
