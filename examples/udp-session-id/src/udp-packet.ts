import { UdpRequestInfo } from '@socketlite/app-server'

/** Bytes before the value: a 4-byte ASCII key, then a 36-character ASCII session id (a UUID). */
export const udpPacketHeaderSize = 40

/**
 * One datagram of the original's `MyUdpRequestInfo`: `key` (4 ASCII bytes), `sessionId` (36 ASCII bytes), then a
 * UTF-8 `value`. Being a `UdpRequestInfo`, it puts the server in "session id carried in the datagram" mode.
 */
export class UdpPacket extends UdpRequestInfo {
  /** The UTF-8 text after the header (may be empty). */
  readonly value: string

  constructor(key: string, sessionId: string, value: string) {
    super(key, sessionId)
    this.value = value
  }
}

/**
 * The bytes of one datagram.
 * @throws {RangeError} a key that is not 4 ASCII characters, or a session id that is not 36.
 */
export function encodeUdpPacket(key: string, sessionId: string, value: string): Buffer {
  if (!/^[\x20-\x7e]{4}$/.test(key)) throw new RangeError('key must be 4 printable ASCII characters')
  if (!/^[\x20-\x7e]{36}$/.test(sessionId)) throw new RangeError('sessionId must be 36 printable ASCII characters')
  return Buffer.concat([Buffer.from(key + sessionId, 'latin1'), Buffer.from(value, 'utf8')])
}
