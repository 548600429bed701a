import {
  type CertificateConfig,
  ConfigError,
  type ConfigIssue,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  resolveListenAddress,
  type ServerConfig,
} from '@socketlite/socket-base'
import * as v from 'valibot'
import {
  type ServerConfigOutput,
  serverConfigCrossFieldIssues,
  serverConfigFieldSchema,
} from './server-config-schema.js'

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((key) => String(key)).join('.')
}

/** One ConfigIssue per schema issue: an unknown key is reported on its object, a missing one as required. */
function issueOf(issue: v.BaseIssue<unknown>): ConfigIssue {
  const keys = (issue.path ?? []).map((item) => item.key as PropertyKey)
  const last = issue.path?.at(-1)
  if (issue.type === 'strict_object' && last?.origin === 'key') {
    if (issue.expected === 'never')
      return { path: pathOf(keys.slice(0, -1)), message: `Unrecognized key: ${issue.received}` }
    return { path: pathOf(keys), message: 'required' }
  }
  return { path: pathOf(keys), message: issue.message }
}

function validate(config: unknown): ServerConfigOutput {
  // One issue per bad field (its first broken rule); every field is checked.
  const fields = v.safeParse(serverConfigFieldSchema, config, { abortPipeEarly: true })
  const issues = fields.success ? [] : fields.issues.map(issueOf)
  for (const { path, message } of serverConfigCrossFieldIssues(config)) {
    const issue = { path: pathOf(path), message }
    if (!issues.some((known) => known.path === issue.path && known.message === issue.message)) issues.push(issue)
  }
  if (issues.length > 0 || !fields.success) {
    throw new ConfigError(issues, fields.success ? {} : { cause: new v.ValiError(fields.issues) })
  }
  return fields.output
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

function freezeCertificate(certificate: ServerConfigOutput['certificate']): Readonly<CertificateConfig> | undefined {
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
        ip: resolveListenAddress(listener.ip),
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
    maxPendingHandshakes: parsed.maxPendingHandshakes,
    maxConnectionNumber: parsed.maxConnectionNumber,
    maxConnectionsPerIp: parsed.maxConnectionsPerIp,
    maxRequestLength: parsed.maxRequestLength,
    sendTimeOut: parsed.sendTimeOut,
    sendHighWaterMark: parsed.sendHighWaterMark,
    sendLowWaterMark: parsed.sendLowWaterMark ?? Math.floor(parsed.sendHighWaterMark / 2),
    closeTimeOut: parsed.closeTimeOut,
    frameTimeOut: parsed.frameTimeOut,
    sendStallTimeOut: parsed.sendStallTimeOut,
    handlerTimeOut: parsed.handlerTimeOut,
    clearIdleSession: parsed.clearIdleSession,
    idleSessionTimeOut: parsed.idleSessionTimeOut,
    clearIdleSessionInterval: parsed.clearIdleSessionInterval,
    keepAliveTime: parsed.keepAliveTime,
    noDelay: parsed.noDelay,
    textEncoding: parsed.textEncoding,
    logBasicSessionActivity: parsed.logBasicSessionActivity,
  })
}
