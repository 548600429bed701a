import {
  AppServer,
  type AppSession,
  CloseReason,
  type ListenerInfo,
  type LogFactory,
  type Logger,
  type ServerConfig,
  SocketError,
} from '@socketlite/app-server'
import { createServerMetrics, type ServerMetrics } from '@socketlite/metrics'
import type { Registry } from 'prom-client'
import type { EchoFrame } from './echo-frame.js'
import { EchoFilterFactory, type EchoProtocolOptions } from './echo-protocol.js'
import { formatListenerUrl } from './endpoint-url.js'
import { type MetricsAddress, type MetricsEndpoint, startMetricsEndpoint } from './metrics-endpoint.js'
import { PinoLogFactory } from './pino-log-factory.js'
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './self-signed-certificate.js'

/** Options of {@link startEchoServer}. */
export interface EchoServerOptions {
  /**
   * The server configuration (`ServerConfig` of `@socketlite/app-server`, a parsed `server.json`): endpoints, TLS,
   * UDP mode, limits. A TLS endpoint without `certificate` gets a self-signed one.
   */
  config: ServerConfig
  /**
   * The framing.
   * @default { protocol: 'line' }
   */
  protocol?: EchoProtocolOptions
  /**
   * Where the server logs.
   * @default new PinoLogFactory() (info level, standard error)
   */
  logFactory?: LogFactory
  /**
   * Serve Prometheus metrics (`@socketlite/metrics`) on `http://host:port/metrics` (`--metrics`).
   * @default undefined (no metrics)
   */
  metrics?: MetricsAddress
  /**
   * The prom-client registry the metrics are made in; with `metricsRegistry` and no `metrics`, metrics are made but
   * not served (a `--cluster` worker: the primary serves every worker's, aggregated).
   * @default a new registry, when `metrics` is given
   */
  metricsRegistry?: Registry
}

/** Where a self-signed certificate of the server lives. */
export interface EchoServerCertificate {
  /** PEM certificate (clients may trust it as their CA). */
  readonly cert: string
  readonly certFile: string
  readonly keyFile: string
}

/** A running echo server. */
export interface EchoServer extends AsyncDisposable {
  /** The underlying server (its events, `getStats()`, sessions). */
  readonly server: AppServer<EchoFrame, AppSession<EchoFrame>>
  /** The bound endpoints (actual ports when `0` was asked). */
  readonly endpoints: readonly ListenerInfo[]
  /** One URL per endpoint: `tcp://127.0.0.1:7000`, `tls://[::1]:7001`, `udp://127.0.0.1:7002`. */
  readonly urls: readonly string[]
  /** The self-signed certificate made at start, when a TLS endpoint had none. */
  readonly selfSignedCertificate: EchoServerCertificate | undefined
  /** Where the metrics are served (`http://127.0.0.1:9464/metrics`), when `metrics` was given. */
  readonly metricsUrl: string | undefined
  /**
   * Graceful stop: no new connections, every session closed with `ServerShutdown` after its queued replies are
   * sent (at most `closeTimeOut` each), then the self-signed certificate files are removed. Idempotent.
   */
  stop(): Promise<void>
}

function usesTls(config: ServerConfig): boolean {
  if (config.mode === 'udp') return false
  if (config.listeners !== undefined) {
    return config.listeners.some((listener) => (listener.security ?? config.security) === 'tls')
  }
  return config.security === 'tls'
}

function listenAddresses(config: ServerConfig): string[] {
  const ips = config.listeners?.map((listener) => listener.ip) ?? [config.ip ?? '127.0.0.1']
  return ips.filter((ip) => ip !== 'Any' && ip !== 'IPv6Any')
}

/**
 * The echoes are handed over, not copied: each frame is a view of a received chunk (or a fresh buffer gathered from
 * several) that nothing else uses, and consecutive views of one chunk leave as one buffer, the chunk itself.
 */
const handOver = { copy: false } as const

/**
 * Replies to `frame` on `session`: queued at once when there is room, else waited for (the session's next request
 * waits too, so replies stay in order and a client that does not read slows down its own session only).
 */
function echo(session: AppSession<EchoFrame>, request: EchoFrame, logger: Logger): Promise<void> | undefined {
  if (session.trySend(request.frame, handOver)) return undefined
  return session.send(request.frame, handOver).catch((error: unknown) => {
    if (SocketError.isSocketError(error) && error.code === 'ERR_SESSION_CLOSED') return
    if (SocketError.isSocketError(error) && error.code === 'ERR_SEND_TIMEOUT') {
      logger.warn('The client does not read its echoes; closing the session', { sessionId: session.sessionId })
      void session.close(CloseReason.ServerClosing)
      return
    }
    throw error
  })
}

/**
 * Starts an echo server: every request comes back byte for byte, framed exactly as it came in (a line with its
 * terminator, a length-field frame with its header, a begin/end frame with its marks, a fixed-size block as it is;
 * in UDP mode each datagram comes back as one datagram). TCP, TLS and UDP, one or several endpoints, as `config`
 * says; a TLS endpoint without a certificate gets a self-signed one, made now and deleted by `stop()`.
 *
 * @example
 * ```ts
 * const echo = await startEchoServer({ config: { ip: '127.0.0.1', port: 0 }, protocol: { protocol: 'line' } })
 * console.log(echo.urls) // ['tcp://127.0.0.1:41234']
 * await echo.stop()
 * ```
 * @throws {@link ConfigError} `ERR_INVALID_CONFIG`: an invalid `config`, listing every problem
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`: an invalid protocol option
 * @throws {@link ListenError} `ERR_LISTEN_FAILED`: an endpoint could not be bound (nothing stays bound)
 */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const filterFactory = new EchoFilterFactory(options.protocol ?? {}, { datagram: options.config.mode === 'udp' })
  let config = options.config
  let certificate: SelfSignedCertificate | undefined
  if (usesTls(config) && config.certificate === undefined) {
    certificate = await generateSelfSignedCertificate({
      hosts: ['localhost', '127.0.0.1', '::1', ...listenAddresses(config)],
    })
    config = { ...config, certificate: { certFile: certificate.certFile, keyFile: certificate.keyFile } }
  }
  let server: AppServer<EchoFrame, AppSession<EchoFrame>> | undefined
  let endpoints: ListenerInfo[]
  let metrics: ServerMetrics | undefined
  let metricsEndpoint: MetricsEndpoint | undefined
  try {
    server = new AppServer<EchoFrame>({
      config,
      receiveFilterFactory: filterFactory,
      logFactory: options.logFactory ?? new PinoLogFactory(),
    })
    const logger = server.logger
    server.on('newRequestReceived', (session, request) => echo(session, request, logger))
    // Made before start(), so that every session is counted.
    if (options.metrics !== undefined || options.metricsRegistry !== undefined) {
      metrics = createServerMetrics(
        server,
        options.metricsRegistry === undefined ? {} : { registry: options.metricsRegistry },
      )
    }
    endpoints = await server.start()
    if (metrics !== undefined && options.metrics !== undefined) {
      metricsEndpoint = await startMetricsEndpoint(metrics.registry, options.metrics)
    }
  } catch (error) {
    metrics?.close()
    await server?.stop()
    await certificate?.cleanup()
    throw error
  }
  const urls = endpoints.map(formatListenerUrl)
  if (certificate !== undefined) {
    server.logger.info('Made a self-signed certificate (clients: --insecure, or --ca with this file)', {
      certFile: certificate.certFile,
    })
  }
  server.logger.info('Echo server listening', {
    urls,
    protocol: filterFactory.description,
    ...(metricsEndpoint === undefined ? {} : { metrics: metricsEndpoint.url }),
  })
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await server.stop()
      } finally {
        // After the server: a scrape during the graceful stop still answers.
        await metricsEndpoint?.close()
        metrics?.close()
        await certificate?.cleanup()
      }
    })()
    return stopping
  }
  return {
    server,
    endpoints,
    urls,
    selfSignedCertificate:
      certificate === undefined
        ? undefined
        : { cert: certificate.cert, certFile: certificate.certFile, keyFile: certificate.keyFile },
    metricsUrl: metricsEndpoint?.url,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
