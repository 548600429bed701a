import { readFileSync } from 'node:fs'
import {
  type ConfigError,
  InvalidArgumentError,
  type LogLevel,
  parseServerConfig,
  type ServerConfig,
  serverConfigDefaults,
  type TextEncoding,
} from '@socketlite/app-server'
import type { LengthFieldLength } from '@socketlite/protocol'
import { EchoFilterFactory, type EchoProtocolName, type EchoProtocolOptions } from './echo-protocol.js'
import { parseListenUrl } from './endpoint-url.js'
import { parseEscapes } from './escapes.js'
import type { MetricsAddress } from './metrics-endpoint.js'

/** The port used when neither the flags nor the config file give an endpoint. */
export const defaultEchoPort = 7000

/** How logs are written: `pretty` (pino-pretty, for people) or `json` (one JSON object a line). */
export type LogFormat = 'pretty' | 'json'

/** The flags of `socketlite-echo` as commander parsed them (values checked for syntax only). */
export interface CliFlags {
  config?: string
  ip?: string
  port?: number
  listen?: string[]
  mode?: 'tcp' | 'udp'
  tls?: boolean
  cert?: string
  key?: string
  protocol: EchoProtocolName
  terminator?: string
  size?: number
  lengthFieldLength?: LengthFieldLength
  lengthFieldOffset?: number
  byteOrder?: 'be' | 'le'
  lengthAdjustment?: number
  initialBytesToStrip?: number
  beginMark?: string
  endMark?: string
  spliter?: string
  count?: number
  encoding?: TextEncoding
  maxRequestLength?: number
  maxConnections?: number
  cluster?: number
  metrics?: MetricsAddress
  logLevel: LogLevel
  logFormat?: LogFormat
}

/** What `socketlite-echo` runs with, once the flags and the config file are merged and checked. */
export interface CliOptions {
  /** The validated server configuration (without a self-signed certificate; that is made at start). */
  readonly config: ServerConfig
  /** The framing, marks as bytes. */
  readonly protocol: EchoProtocolOptions
  readonly logLevel: LogLevel
  /** `--log-format`; undefined: pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | undefined
  /** Worker processes (`--cluster`), or `undefined` for one process. */
  readonly cluster: number | undefined
  /** Where to serve Prometheus metrics (`--metrics host:port`), or `undefined` for none. */
  readonly metrics: MetricsAddress | undefined
}

type RawConfig = Record<string, unknown>

function isRecord(value: unknown): value is RawConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads a `server.json`: JSON, one object. Its fields are checked later, merged with the flags.
 * @throws {@link InvalidArgumentError} unreadable file, invalid JSON, or not an object
 */
export function readConfigFile(path: string): RawConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new InvalidArgumentError(`--config: cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InvalidArgumentError(`--config: ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
  if (!isRecord(value)) throw new InvalidArgumentError(`--config: ${path} must hold one JSON object`)
  return value
}

/** True when some endpoint of `config` is TLS (the same rule as the server's). */
export function configUsesTls(config: RawConfig | ServerConfig): boolean {
  return (config as RawConfig).mode !== 'udp' && asksForTls(config)
}

/** True when some endpoint asks for TLS, whatever the mode (TLS in UDP mode is a config error of its own). */
function asksForTls(config: RawConfig | ServerConfig): boolean {
  const raw = config as RawConfig
  if (Array.isArray(raw.listeners)) {
    return raw.listeners.some((listener) => isRecord(listener) && (listener.security ?? raw.security) === 'tls')
  }
  return raw.security === 'tls'
}

/**
 * Applies the flags to the config file's object: the flags win. `--listen` replaces the file's endpoints (its
 * scheme decides TLS per endpoint and UDP mode); `--ip`/`--port` replace them with one endpoint; with neither in
 * the flags nor in the file, the server listens on `127.0.0.1:7000`.
 * @throws {@link InvalidArgumentError} conflicting flags
 */
export function mergeFlags(file: RawConfig, flags: CliFlags): RawConfig {
  const config: RawConfig = { ...file }
  if (config.name === undefined) config.name = 'socketlite-echo'
  const listen = flags.listen ?? []
  if (listen.length > 0) {
    if (flags.ip !== undefined || flags.port !== undefined) {
      throw new InvalidArgumentError('--listen and --ip/--port exclude each other')
    }
    const urls = listen.map(parseListenUrl)
    const udp = urls.filter((url) => url.scheme === 'udp').length
    if (udp > 0 && udp < urls.length) {
      throw new InvalidArgumentError('--listen: udp:// cannot be mixed with tcp:// or tls:// (a server has one mode)')
    }
    const mode = udp > 0 ? 'udp' : 'tcp'
    if (flags.mode !== undefined && flags.mode !== mode) {
      throw new InvalidArgumentError(`--mode ${flags.mode} conflicts with the ${mode}:// endpoints of --listen`)
    }
    config.mode = mode
    config.listeners = urls.map((url) => ({
      ip: url.ip,
      port: url.port,
      ...(url.scheme === 'udp' ? {} : { security: url.scheme === 'tls' ? 'tls' : 'none' }),
    }))
    delete config.port
    delete config.ip
  } else if (flags.ip !== undefined || flags.port !== undefined) {
    config.port = flags.port ?? config.port ?? defaultEchoPort
    if (flags.ip !== undefined) config.ip = flags.ip
    delete config.listeners
  } else if (config.port === undefined && config.listeners === undefined) {
    config.port = defaultEchoPort
  }
  if (flags.mode !== undefined) config.mode = flags.mode
  if (flags.tls === true) config.security = 'tls'
  if (flags.cert !== undefined || flags.key !== undefined) {
    const {
      pfxFile: _pfx,
      certFile: _cert,
      keyFile: _key,
      ...shared
    } = isRecord(config.certificate) ? config.certificate : {}
    config.certificate = {
      ...shared,
      ...(flags.cert === undefined ? {} : { certFile: flags.cert }),
      ...(flags.key === undefined ? {} : { keyFile: flags.key }),
    }
  }
  if (flags.maxRequestLength !== undefined) config.maxRequestLength = flags.maxRequestLength
  if (flags.maxConnections !== undefined) config.maxConnectionNumber = flags.maxConnections
  if (flags.encoding !== undefined) config.textEncoding = flags.encoding
  return config
}

/**
 * Turns the flags (and the `--config` file) into {@link CliOptions}: merges them, validates the result with the
 * app-server schema, and checks the framing options.
 * @throws {@link ConfigError} `ERR_INVALID_CONFIG`, listing every bad field of the merged configuration
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`: an unreadable config file, conflicting flags or a
 *   bad framing option
 */
export function resolveCliOptions(flags: CliFlags): CliOptions {
  const file = flags.config === undefined ? {} : readConfigFile(flags.config)
  const merged = mergeFlags(file, flags)
  // A TLS endpoint without a certificate gets a self-signed one at start: validate as if it had one.
  const needsCertificate = asksForTls(merged) && merged.certificate === undefined
  const checked = needsCertificate
    ? { ...merged, certificate: { certFile: '(self-signed)', keyFile: '(self-signed)' } }
    : merged
  const validated = parseServerConfig(checked)
  const config: ServerConfig = needsCertificate ? withoutCertificate(validated) : validated
  const encoding = flags.encoding ?? config.textEncoding ?? serverConfigDefaults.textEncoding
  const protocol: EchoProtocolOptions = {
    protocol: flags.protocol,
    encoding,
    ...(flags.terminator === undefined ? {} : { terminator: parseEscapes(flags.terminator, 'terminator', encoding) }),
    ...(flags.size === undefined ? {} : { size: flags.size }),
    ...(flags.lengthFieldLength === undefined ? {} : { lengthFieldLength: flags.lengthFieldLength }),
    ...(flags.lengthFieldOffset === undefined ? {} : { lengthFieldOffset: flags.lengthFieldOffset }),
    ...(flags.byteOrder === undefined ? {} : { byteOrder: flags.byteOrder }),
    ...(flags.lengthAdjustment === undefined ? {} : { lengthAdjustment: flags.lengthAdjustment }),
    ...(flags.initialBytesToStrip === undefined ? {} : { initialBytesToStrip: flags.initialBytesToStrip }),
    ...(flags.beginMark === undefined ? {} : { beginMark: parseEscapes(flags.beginMark, 'begin-mark', encoding) }),
    ...(flags.endMark === undefined ? {} : { endMark: parseEscapes(flags.endMark, 'end-mark', encoding) }),
    ...(flags.spliter === undefined ? {} : { spliter: parseEscapes(flags.spliter, 'spliter', encoding) }),
    ...(flags.count === undefined ? {} : { count: flags.count }),
  }
  let factory: EchoFilterFactory
  try {
    factory = new EchoFilterFactory(protocol)
  } catch (error) {
    if (error instanceof Error) throw new InvalidArgumentError(`--protocol ${flags.protocol}: ${error.message}`)
    throw error
  }
  const maxRequestLength = config.maxRequestLength ?? serverConfigDefaults.maxRequestLength
  if (factory.minimumFrameLength > maxRequestLength) {
    throw new InvalidArgumentError(
      `--protocol ${flags.protocol}: its frames have at least ${factory.minimumFrameLength} bytes, above the ` +
        `frame-size limit (--max-request-length / maxRequestLength ${maxRequestLength}): every frame would be refused`,
    )
  }
  return {
    config,
    protocol,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    cluster: flags.cluster,
    metrics: flags.metrics,
  }
}

function withoutCertificate(config: ServerConfig): ServerConfig {
  const { certificate: _placeholder, ...rest } = config
  return rest
}

/** The problems of a {@link ConfigError}, one per line, for the terminal. */
export function formatConfigIssues(error: ConfigError): string {
  return error.issues.map((issue) => `  - ${issue.path === '' ? '(config)' : issue.path}: ${issue.message}`).join('\n')
}
