import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { InvalidArgumentError, ListenError } from '@socketlite/app-server'
import { type MetricsSource, metricsRequestListener } from '@socketlite/metrics'
import { formatHost } from './endpoint-url.js'

/** Where `--metrics` serves: an address and a port (`0` = ephemeral). */
export interface MetricsAddress {
  readonly host: string
  readonly port: number
}

/**
 * Parses `--metrics host:port`: `127.0.0.1:9464`, `[::1]:9464`, `localhost:0`.
 * @throws {InvalidArgumentError} not `host:port`, or a port outside 0–65535
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = match === null ? Number.NaN : Number(match[3])
  if (match === null || port > 65_535) {
    throw new InvalidArgumentError(`--metrics must be host:port (IPv6 as [::1]:port, port 0-65535), got "${text}"`)
  }
  return { host: (match[1] ?? match[2]) as string, port }
}

/** A running `/metrics` endpoint. */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:9464/metrics`, with the actual port when 0 was asked. */
  readonly url: string
  /** Stops accepting and closes every connection; resolves once closed. Idempotent. */
  close(): Promise<void>
}

/**
 * Serves `source` (a prom-client registry) on `http://host:port/metrics` in the Prometheus text format, over plain
 * `node:http`; every other path answers 404.
 * @throws {ListenError} `ERR_LISTEN_FAILED`: the address could not be bound (the system error is the cause)
 */
export async function startMetricsEndpoint(source: MetricsSource, address: MetricsAddress): Promise<MetricsEndpoint> {
  const server = http.createServer(metricsRequestListener(source))
  server.listen(address.port, address.host)
  const [outcome] = await Promise.race([once(server, 'listening').then(() => ['listening']), once(server, 'error')])
  if (outcome !== 'listening') {
    const cause = outcome as Error
    throw new ListenError(`the metrics endpoint could not listen on ${formatHost(address.host)}:${address.port}`, {
      cause,
    })
  }
  const bound = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: `http://${formatHost(bound.address)}:${bound.port}/metrics`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
