import type { EndPoint } from '@socketlite/socket-base'

/**
 * What a {@link UdpSocketSession} sends its datagrams through: the bound socket its peer's datagrams arrive on.
 * `@socketlite/listener`'s `UdpSocketListener` implements it as is.
 */
export interface DatagramSender {
  /** Largest payload one datagram can carry (65507 bytes over IPv4, 65527 over IPv6). */
  readonly maxDatagramSize: number
  /**
   * Send `data` as one datagram to `remote`; `callback` once the kernel took it, or with the error that stopped it.
   * The buffer must not be modified until the callback.
   */
  send(data: Uint8Array, remote: EndPoint, callback: (error: Error | null) => void): void
}
