import { InvalidArgumentError, type ListenerInfo } from '@socketlite/app-server'

/** The schemes of `--listen` and of the `listening` lines. */
export type EndpointScheme = 'tcp' | 'tls' | 'udp'

/** A parsed `--listen` URL. */
export interface ListenUrl {
  readonly scheme: EndpointScheme
  /** The address as written, without IPv6 brackets (`Any` and `IPv6Any` are kept for the config to resolve). */
  readonly ip: string
  readonly port: number
}

/** `[::1]` for IPv6 addresses, the address itself otherwise. */
export function formatHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}

/** The scheme of a bound listener: `udp` in UDP mode, else `tls` or `tcp` by its security. */
export function schemeOf(info: ListenerInfo): EndpointScheme {
  if (info.mode === 'udp') return 'udp'
  return info.security === 'tls' ? 'tls' : 'tcp'
}

/**
 * The URL of a bound listener, as the `listening` lines print it and as `socketlite-load` takes it:
 * `tcp://127.0.0.1:7000`, `tls://[::1]:7001`, `udp://127.0.0.1:7002`.
 */
export function formatListenerUrl(info: ListenerInfo): string {
  return `${schemeOf(info)}://${formatHost(info.ip)}:${info.port}`
}

const listenPattern = /^(tcp|tls|udp):\/\/(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/i

/**
 * Parses a `--listen` value: `tcp://IP:PORT`, `tls://IP:PORT` or `udp://IP:PORT`, IPv6 in brackets
 * (`tcp://[::1]:0`). The address itself is checked later, with the rest of the configuration.
 *
 * @param text - the value as typed
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` when it is not such a URL or the port is above 65535
 */
export function parseListenUrl(text: string): ListenUrl {
  const match = listenPattern.exec(text.trim())
  if (match === null) {
    throw new InvalidArgumentError(
      `--listen: "${text}" is not an endpoint URL (examples: tcp://127.0.0.1:7000, tls://[::1]:0, udp://0.0.0.0:7002)`,
    )
  }
  const port = Number(match[4])
  if (port > 65_535) throw new InvalidArgumentError(`--listen: port ${port} of "${text}" is above 65535`)
  return {
    scheme: (match[1] as string).toLowerCase() as EndpointScheme,
    ip: (match[2] ?? match[3]) as string,
    port,
  }
}
