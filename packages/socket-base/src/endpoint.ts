/** Address family of an endpoint. */
export type AddressFamily = 'IPv4' | 'IPv6'

/** A network endpoint: the local or remote side of a session. */
export interface EndPoint {
  readonly address: string
  readonly port: number
  readonly family: AddressFamily
}

/** `127.0.0.1:5000` for IPv4, `[::1]:5000` for IPv6 (the form SuperSocket used for UDP session ids). */
export function formatEndPoint(endPoint: Pick<EndPoint, 'address' | 'port'>): string {
  return endPoint.address.includes(':')
    ? `[${endPoint.address}]:${endPoint.port}`
    : `${endPoint.address}:${endPoint.port}`
}
