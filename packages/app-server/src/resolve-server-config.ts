import {
  type CertificateConfig,
  ConfigError,
  type ConfigIssue,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  type ServerConfig,
} from '@socketlite/socket-base'
import type { z } from 'zod'
import { serverConfigCrossFieldSchema, serverConfigFieldSchema } from './server-config-schema.js'

type ParsedConfig = z.output<typeof serverConfigFieldSchema>

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((key) => String(key)).join('.')
}

function issuesOf(error: z.ZodError | undefined): ConfigIssue[] {
  if (error === undefined) return []
  return error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }))
}

function validate(config: unknown): ParsedConfig {
  const fields = serverConfigFieldSchema.safeParse(config)
  const crossFields = serverConfigCrossFieldSchema.safeParse(config)
  const issues = issuesOf(fields.error)
  for (const issue of issuesOf(crossFields.error)) {
    if (!issues.some((known) => known.path === issue.path && known.message === issue.message)) issues.push(issue)
  }
  if (issues.length > 0 || !fields.success) {
    throw new ConfigError(issues, { cause: fields.error ?? crossFields.error })
  }
  return fields.data
}

/**
 * Check a configuration object (e.g. a parsed `server.json`) and return it typed, without filling in defaults,
 * so that tools can merge their own overrides into it before {@link resolveServerConfig}.
 * @throws {ConfigError} listing every bad field (`issues`: path + message).
 */
export function parseServerConfig(config: unknown): ServerConfig {
  validate(config)
  const { $schema: _schema, ...rest } = config as ServerConfig & { $schema?: string }
  return rest
}

function listenAddress(ip: string): string {
  if (ip === 'Any') return '0.0.0.0'
  if (ip === 'IPv6Any') return '::'
  return ip
}

function freezeCertificate(certificate: ParsedConfig['certificate']): Readonly<CertificateConfig> | undefined {
  if (certificate === undefined) return undefined
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(certificate)) if (value !== undefined) copy[key] = value
  return Object.freeze(copy) as unknown as Readonly<CertificateConfig>
}

/**
 * Validate `config` and fill in every default: `port` is folded into `listeners`, `'Any'` / `'IPv6Any'` become
 * `0.0.0.0` / `::`, each listener gets its backlog (`listenBacklog`) and security (the server's), and
 * `sendLowWaterMark` defaults to half the high mark. The result is deeply frozen.
 *
 * @example
 * ```ts
 * const config = resolveServerConfig({ port: 0, maxConnectionNumber: 100 })
 * config.listeners // [{ ip: '127.0.0.1', port: 0, backlog: 511, security: 'none' }]
 * ```
 * @throws {ConfigError} listing every bad field at once (`issues`: path + message), e.g. both `port` and
 *   `listeners`, a bad `ip`, a TLS listener without `certificate`, `sendLowWaterMark` above `sendHighWaterMark`.
 */
export function resolveServerConfig(config: ServerConfig): ResolvedServerConfig {
  const parsed = validate(config)
  const listeners: ResolvedListenerConfig[] = (parsed.listeners ?? [{ ip: parsed.ip, port: parsed.port ?? 0 }]).map(
    (listener) =>
      Object.freeze({
        ip: listenAddress(listener.ip),
        port: listener.port,
        backlog: listener.backlog ?? parsed.listenBacklog,
        security: listener.security ?? parsed.security,
      }),
  )
  return Object.freeze({
    name: parsed.name,
    mode: parsed.mode,
    security: parsed.security,
    listeners: Object.freeze(listeners),
    certificate: freezeCertificate(parsed.certificate),
    handshakeTimeOut: parsed.handshakeTimeOut,
    maxConnectionNumber: parsed.maxConnectionNumber,
    maxConnectionsPerIp: parsed.maxConnectionsPerIp,
    maxRequestLength: parsed.maxRequestLength,
    sendTimeOut: parsed.sendTimeOut,
    sendHighWaterMark: parsed.sendHighWaterMark,
    sendLowWaterMark: parsed.sendLowWaterMark ?? Math.floor(parsed.sendHighWaterMark / 2),
    closeTimeOut: parsed.closeTimeOut,
    clearIdleSession: parsed.clearIdleSession,
    idleSessionTimeOut: parsed.idleSessionTimeOut,
    clearIdleSessionInterval: parsed.clearIdleSessionInterval,
    keepAliveTime: parsed.keepAliveTime,
    noDelay: parsed.noDelay,
    textEncoding: parsed.textEncoding,
    logBasicSessionActivity: parsed.logBasicSessionActivity,
  })
}
