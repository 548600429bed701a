import { isIP } from 'node:net'
import { LoadOptionError } from './load-option-error.js'

/** How the load tester reaches the server. */
export type Transport = 'tcp' | 'tls' | 'udp'

/** A parsed target. */
export interface LoadTarget {
  /** `tcp`, `tls` or `udp`. */
  readonly transport: Transport
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string
  /** Port, 1–65535. */
  readonly port: number
}

/**
 * Parses `tcp://HOST:PORT`, `tls://HOST:PORT`, `udp://HOST:PORT` or a bare `HOST:PORT` (TCP). IPv6 addresses go
 * in brackets: `tcp://[::1]:7000`.
 *
 * @param text - the target as typed
 * @throws {@link LoadOptionError} `ERR_INVALID_TARGET` for anything else
 */
export function parseTarget(text: string): LoadTarget {
  const match = /^(?:([a-z]+):\/\/)?(\[[^\]]+\]|[^:/[\]\s]+):(\d{1,5})\/?$/i.exec(text.trim())
  const fail = (why: string): never => {
    throw new LoadOptionError('target', `target "${text}": ${why}`, 'ERR_INVALID_TARGET')
  }
  if (!match) return fail('expected tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or HOST:PORT')
  const scheme = (match[1] ?? 'tcp').toLowerCase()
  if (scheme !== 'tcp' && scheme !== 'tls' && scheme !== 'udp') return fail(`unknown scheme "${scheme}://"`)
  let host = match[2] ?? ''
  if (host.startsWith('[')) {
    host = host.slice(1, -1)
    if (isIP(host) !== 6) return fail(`"${host}" is not an IPv6 address`)
  }
  const port = Number(match[3])
  if (port < 1 || port > 65535) return fail(`port ${port} is out of range 1-65535`)
  return { transport: scheme, host, port }
}

/**
 * Formats a target back into its URL form (`tcp://[::1]:7000`).
 *
 * @param target - the target
 */
export function formatTarget(target: LoadTarget): string {
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host
  return `${target.transport}://${host}:${target.port}`
}
