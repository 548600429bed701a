import type { RequestInfo } from '@socketlite/socket-base'

/**
 * A UDP request that names its session. A filter that yields `UdpRequestInfo` (or a subclass) switches a UDP server
 * into "session id carried in the datagram" mode: the session follows the id when the peer's address changes.
 */
export class UdpRequestInfo implements RequestInfo {
  /** Dispatch key. */
  readonly key: string
  /** Id of the session this datagram belongs to. */
  readonly sessionId: string

  constructor(key: string, sessionId: string) {
    this.key = key
    this.sessionId = sessionId
  }
}
