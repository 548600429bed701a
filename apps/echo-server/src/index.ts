/**
 * @packageDocumentation
 * `socketlite-echo`: an echo server for every socketlite protocol over TCP, TLS and UDP, built on
 * `@socketlite/app-server` and `@socketlite/protocol`. Every request comes back byte for byte, framed exactly as it
 * came in. This module is its programmatic side: {@link startEchoServer} (what the CLI runs), the echo filters, the
 * pino log factory and the CLI entry point {@link main}.
 *
 * @example
 * ```ts
 * import { startEchoServer } from '@socketlite/echo-server'
 *
 * const echo = await startEchoServer({
 *   config: { ip: '127.0.0.1', port: 0 },
 *   protocol: { protocol: 'length-field', lengthFieldLength: 2 },
 * })
 * console.log(echo.urls) // ['tcp://127.0.0.1:41234']
 * await echo.stop()
 * ```
 */
export {
  type CliFlags,
  type CliOptions,
  configUsesTls,
  defaultEchoPort,
  formatConfigIssues,
  type LogFormat,
  mergeFlags,
  readConfigFile,
  resolveCliOptions,
} from './cli-options.js'
export { type CliIo, createProgram, exitCodes, main, parseCommandLine, reportStartError } from './cli-program.js'
export { runClusterPrimary } from './cluster-primary.js'
export { isEchoWorker, runClusterWorker } from './cluster-worker.js'
export { EchoFrame } from './echo-frame.js'
export { EchoFrameFilter, type EchoFrameFilterInit } from './echo-frame-filter.js'
export {
  EchoFilterFactory,
  type EchoFilterFactoryInit,
  type EchoProtocolName,
  type EchoProtocolOptions,
  echoProtocolDefaults,
  echoProtocolNames,
} from './echo-protocol.js'
export {
  type EchoServer,
  type EchoServerCertificate,
  type EchoServerOptions,
  startEchoServer,
} from './echo-server.js'
export {
  type EndpointScheme,
  formatHost,
  formatListenerUrl,
  type ListenUrl,
  parseListenUrl,
  schemeOf,
} from './endpoint-url.js'
export { formatEscapes, parseEscapes } from './escapes.js'
export {
  type MetricsAddress,
  type MetricsEndpoint,
  parseMetricsAddress,
  startMetricsEndpoint,
} from './metrics-endpoint.js'
export { PinoLogFactory, type PinoLogFactoryInit } from './pino-log-factory.js'
export { RawEchoFilter } from './raw-echo-filter.js'
export {
  generateSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedCertificateInit,
} from './self-signed-certificate.js'
export { waitForStopSignal } from './stop-signal.js'
export { formatStopSummary, logStopped } from './stop-summary.js'
export { TerminatorEchoFilter } from './terminator-echo-filter.js'
