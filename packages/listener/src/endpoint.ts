import type { AddressInfo } from 'node:net'
import type { EndPoint } from '@socketlite/socket-base'

/** The {@link EndPoint} of a bound socket's `address()` result. */
export function endPointOf(address: AddressInfo): EndPoint {
  // Node 18.0-18.3 reported the family as a number; normalise anyway.
  const family = address.family === 'IPv6' || (address.family as unknown) === 6 ? 'IPv6' : 'IPv4'
  return Object.freeze({ address: address.address, port: address.port, family })
}
