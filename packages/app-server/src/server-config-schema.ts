import { listenAddressAliases, resolveListenAddress } from '@socketlite/socket-base'
import * as v from 'valibot'

// The one source of truth of `ServerConfig`: field types, ranges, defaults and descriptions (the JSON Schema file
// `server.schema.json` is generated from this at build), plus the rules between fields. `ServerConfig` in
// socket-base is checked against this schema's input type by test/config.test-d.ts, and its `@default` tags against
// these defaults by test/config.test.ts. Internal: not exported from the package's entry point.

/** Largest delay `setTimeout` accepts (ms); longer ones would fire at once. */
const maxTimerMilliseconds = 2_147_483_647

const textEncodings = [
  'utf8',
  'utf-8',
  'ascii',
  'latin1',
  'binary',
  'utf16le',
  'ucs2',
  'ucs-2',
  'base64',
  'hex',
] as const

const aliasNames = Object.keys(listenAddressAliases) as (keyof typeof listenAddressAliases)[]
const aliasText = aliasNames.map((name) => `"${name}" (${listenAddressAliases[name]})`).join(' or ')
const ipMessage = `must be an IPv4 or IPv6 address, ${aliasText}`

const ipSchema = v.pipe(
  v.union(
    [
      v.picklist(aliasNames, ipMessage),
      v.pipe(v.string(ipMessage), v.ipv4(ipMessage)),
      v.pipe(v.string(ipMessage), v.ipv6(ipMessage)),
    ],
    ipMessage,
  ),
  v.description(`Listen address: an IPv4 or IPv6 literal, ${aliasText}.`),
)

const integer = (minimum: number, maximum = maxTimerMilliseconds) =>
  v.pipe(v.number(), v.integer(), v.minValue(minimum), v.maxValue(maximum))
const portSchema = v.pipe(integer(0, 65_535), v.description('Listen port; 0 asks the system for a free one.'))
const securitySchema = v.picklist(['none', 'tls'])
/** Seconds, fractions allowed, above 0, and short enough for `setTimeout` once in milliseconds. */
const seconds = v.pipe(v.number(), v.gtValue(0), v.maxValue(maxTimerMilliseconds / 1000))

/** The fields of `ServerConfig`: types, ranges, defaults. Unknown keys are errors; `$schema` is allowed. */
const serverConfigObject = v.strictObject({
  $schema: v.optional(v.pipe(v.string(), v.description('The JSON Schema of this file, for editor completion.'))),
  name: v.optional(
    v.pipe(v.string(), v.minLength(1), v.description('Server name; also the logger name.')),
    'socketlite',
  ),
  ip: v.optional(ipSchema, '127.0.0.1'),
  port: v.optional(
    v.pipe(portSchema, v.description('Listen port (0 = ephemeral). Exactly one of "port" or "listeners".')),
  ),
  listeners: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.strictObject({
            ip: ipSchema,
            port: portSchema,
            backlog: v.optional(
              v.pipe(integer(1), v.description('Accept backlog. Default: the server\'s "listenBacklog".')),
            ),
            security: v.optional(
              v.pipe(securitySchema, v.description('Overrides the server\'s "security" for this endpoint.')),
            ),
          }),
          v.description('One endpoint served by the server.'),
        ),
      ),
      v.description(
        'Several endpoints served by one server; [] for a server that only connects out. Exactly one of "port" or "listeners".',
      ),
    ),
  ),
  listenBacklog: v.optional(v.pipe(integer(1), v.description('Accept backlog of the "ip"/"port" listener.')), 511),
  mode: v.optional(v.pipe(v.picklist(['tcp', 'udp']), v.description('"tcp" or "udp", for every listener.')), 'tcp'),
  security: v.optional(
    v.pipe(securitySchema, v.description('Server-wide default security; each listener may override it.')),
    'none',
  ),
  // `{ certFile, keyFile }` or `{ pfxFile }`: which form is checked by the cross-field rules, so that one
  // ConfigError names the exact missing or extra field.
  certificate: v.optional(
    v.pipe(
      v.strictObject({
        certFile: v.optional(
          v.pipe(v.string(), v.minLength(1), v.description('Certificate chain, PEM file (with "keyFile").')),
        ),
        keyFile: v.optional(
          v.pipe(v.string(), v.minLength(1), v.description('Private key, PEM file (with "certFile").')),
        ),
        pfxFile: v.optional(
          v.pipe(v.string(), v.minLength(1), v.description('Certificate and key, PKCS#12 (PFX) file.')),
        ),
        passphrase: v.optional(v.pipe(v.string(), v.description('Passphrase of the PFX file or of an encrypted key.'))),
        caFile: v.optional(
          v.pipe(
            v.string(),
            v.minLength(1),
            v.description('CA bundle (PEM) that client certificates must be signed by.'),
          ),
        ),
        clientCertificateRequired: v.optional(
          v.pipe(
            v.boolean(),
            v.description('Refuse clients without a valid certificate signed by "caFile". Default false.'),
          ),
        ),
        minVersion: v.optional(
          v.pipe(v.picklist(['TLSv1.2', 'TLSv1.3']), v.description('Lowest TLS version accepted. Default TLSv1.2.')),
        ),
      }),
      v.description(
        'Server certificate: { certFile, keyFile } or { pfxFile, passphrase? }. Required when any listener is TLS.',
      ),
    ),
  ),
  handshakeTimeOut: v.optional(
    v.pipe(integer(1), v.description('A TLS client that has not completed its handshake by then is dropped (ms).')),
    10_000,
  ),
  maxPendingHandshakes: v.optional(
    v.pipe(
      integer(1),
      v.description(
        'TLS connections still in their handshake, at once (they hold no session slot); over it a new connection to a TLS listener is closed at once.',
      ),
    ),
    1_000,
  ),
  maxConnectionNumber: v.optional(
    v.pipe(
      integer(1),
      v.description('Sessions at once; a connection over the limit is closed at once with no session events.'),
    ),
    10_000,
  ),
  maxConnectionsPerIp: v.optional(
    v.pipe(integer(0), v.description('Sessions at once per remote address; 0 = unlimited.')),
    0,
  ),
  maxRequestLength: v.optional(
    v.pipe(
      integer(1),
      v.description('Largest frame in bytes, counted whole (header + body + terminator or marks), inclusive.'),
    ),
    65_536,
  ),
  sendTimeOut: v.optional(
    v.pipe(
      integer(-maxTimerMilliseconds),
      v.description('How long send() waits for room in the sending queue (ms); 0 = forever, < 0 = fail at once.'),
    ),
    5_000,
  ),
  sendHighWaterMark: v.optional(
    v.pipe(
      integer(1),
      v.description("A session's sending queue (queued + unflushed socket bytes) may not grow past this (bytes)."),
    ),
    65_536,
  ),
  sendLowWaterMark: v.optional(
    v.pipe(
      integer(0),
      v.description('Waiting senders and a paused reader resume below this (bytes). Default: half the high mark.'),
    ),
  ),
  closeTimeOut: v.optional(
    v.pipe(
      integer(0),
      v.description('How long a closing session drains its queue before the socket is destroyed (ms).'),
    ),
    5_000,
  ),
  frameTimeOut: v.optional(
    v.pipe(
      integer(0),
      v.description(
        'A frame whose first byte has arrived must be complete within this (ms), or the session closes with TimeOut; the clock stops while the server has paused reading. 0 = off.',
      ),
    ),
    30_000,
  ),
  sendStallTimeOut: v.optional(
    v.pipe(
      integer(0),
      v.description(
        'A session whose sending queue holds bytes and whose peer has taken none of them for this long (ms) closes with TimeOut. 0 = off.',
      ),
    ),
    60_000,
  ),
  handlerTimeOut: v.optional(
    v.pipe(
      integer(0),
      v.description(
        'A connect or request handler that has not settled by then (ms) fails with HandlerTimeoutError (ERR_HANDLER_TIMEOUT). 0 = off.',
      ),
    ),
    60_000,
  ),
  clearIdleSession: v.optional(
    v.pipe(
      v.boolean(),
      v.description('Close sessions idle longer than "idleSessionTimeOut" with CloseReason.TimeOut.'),
    ),
    true,
  ),
  idleSessionTimeOut: v.optional(
    v.pipe(
      seconds,
      v.description('Idle = nothing received for this long (seconds, fractions allowed). Sends do not count.'),
    ),
    300,
  ),
  clearIdleSessionInterval: v.optional(
    v.pipe(seconds, v.description('How often idleness is checked (seconds, fractions allowed).')),
    120,
  ),
  keepAliveTime: v.optional(
    v.pipe(
      v.number(),
      v.minValue(0),
      v.maxValue(maxTimerMilliseconds / 1000),
      v.description('TCP keep-alive initial delay (seconds); 0 = off.'),
    ),
    600,
  ),
  noDelay: v.optional(v.pipe(v.boolean(), v.description('TCP_NODELAY on accepted sockets.')), true),
  textEncoding: v.optional(
    v.pipe(v.picklist(textEncodings), v.description('Encoding of string requests and of strings passed to send().')),
    'utf8',
  ),
  logBasicSessionActivity: v.optional(
    v.pipe(v.boolean(), v.description('Log connect and close of each session at info level.')),
    true,
  ),
})

/** The field rules of `ServerConfig` (the rules between fields are {@link serverConfigCrossFieldIssues}). */
export const serverConfigFieldSchema = v.pipe(
  serverConfigObject,
  v.description('socketlite server configuration (server.json).'),
)

/** What `new AppServer({ config })` accepts, as the schema reads it (socket-base's `ServerConfig` must equal it). */
export type ServerConfigInput = v.InferInput<typeof serverConfigFieldSchema>
/** The config after the field rules: every default filled in. */
export type ServerConfigOutput = v.InferOutput<typeof serverConfigFieldSchema>

type Defaults = v.InferDefaults<typeof serverConfigObject>
/** The options that have a fixed default, with it. */
export type ServerConfigDefaults = {
  readonly [K in keyof Defaults as Defaults[K] extends undefined ? never : K]: Exclude<Defaults[K], undefined>
}

/**
 * The documented defaults of `ServerConfig`, read from the schema (frozen). `sendLowWaterMark` is absent: it defaults
 * to half the high mark.
 */
export const serverConfigDefaults: ServerConfigDefaults = Object.freeze(
  Object.fromEntries(Object.entries(v.getDefaults(serverConfigObject)).filter(([, value]) => value !== undefined)),
) as ServerConfigDefaults

const arrayMessage = 'Invalid type: Expected Object but received Array'

/** A record with only the keys the cross-field rules read, whatever their types. */
type Loose = Record<string, unknown>

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An issue of the cross-field rules: a message and the path of the field it is about. */
export interface CrossFieldIssue {
  readonly path: readonly (string | number)[]
  readonly message: string
}

/**
 * The rules of `ServerConfig` that relate several fields (exactly one of `port` / `listeners`, TLS needs a
 * certificate, low mark ≤ high mark, ...). They run on the raw input even when some fields are malformed, so one
 * `ConfigError` lists every problem; each rule looks only at fields whose types are right.
 */
export function serverConfigCrossFieldIssues(input: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = []
  // valibot's object schemas take an empty array for an object of no keys: say what it is.
  if (Array.isArray(input)) issues.push({ path: [], message: arrayMessage })
  if (!isRecord(input)) return issues
  if (Array.isArray(input.certificate)) issues.push({ path: ['certificate'], message: arrayMessage })
  const hasPort = input.port !== undefined
  const hasListeners = input.listeners !== undefined
  if (hasPort === hasListeners) {
    issues.push({
      path: hasPort ? ['listeners'] : ['port'],
      message: hasPort
        ? 'give either "port" or "listeners", not both'
        : 'one of "port" or "listeners" is required (port 0 = ephemeral)',
    })
  }
  if (hasListeners && input.ip !== undefined) {
    issues.push({ path: ['ip'], message: '"ip" applies to "port" only; give each listener its ip' })
  }
  const listeners: Loose[] = Array.isArray(input.listeners)
    ? input.listeners.filter(isRecord)
    : hasPort
      ? [{ ip: input.ip ?? serverConfigDefaults.ip, port: input.port }]
      : []
  const serverSecurity = input.security ?? serverConfigDefaults.security
  const tls = listeners.some((listener) => (listener.security ?? serverSecurity) === 'tls')
  if (tls && input.certificate === undefined) {
    issues.push({
      path: ['certificate'],
      message: 'required when a listener uses TLS ({ certFile, keyFile } or { pfxFile })',
    })
  }
  if (tls && input.mode === 'udp') {
    issues.push({ path: ['security'], message: 'TLS is not available in "udp" mode' })
  }

  if (Array.isArray(input.listeners)) {
    const seen = new Map<string, number>()
    input.listeners.forEach((listener, index) => {
      if (!isRecord(listener) || typeof listener.ip !== 'string' || typeof listener.port !== 'number') return
      if (listener.port === 0) return
      const key = `${resolveListenAddress(listener.ip).toLowerCase()}|${listener.port}`
      const first = seen.get(key)
      if (first === undefined) seen.set(key, index)
      else issues.push({ path: ['listeners', index], message: `same endpoint as listeners.${first}` })
    })
  }

  const certificate = input.certificate
  if (isRecord(certificate)) {
    const pem = certificate.certFile !== undefined || certificate.keyFile !== undefined
    const pfx = certificate.pfxFile !== undefined
    if (pem && pfx) {
      issues.push({ path: ['certificate'], message: 'give either { certFile, keyFile } or { pfxFile }, not both' })
    } else if (!pem && !pfx) {
      issues.push({ path: ['certificate'], message: 'needs { certFile, keyFile } or { pfxFile }' })
    } else if (pem) {
      for (const key of ['certFile', 'keyFile'] as const) {
        if (certificate[key] === undefined) {
          issues.push({ path: ['certificate', key], message: `required with "certFile"/"keyFile"` })
        }
      }
    }
    if (certificate.clientCertificateRequired === true && certificate.caFile === undefined) {
      issues.push({ path: ['certificate', 'caFile'], message: 'required when "clientCertificateRequired" is true' })
    }
  }

  const high =
    typeof input.sendHighWaterMark === 'number' ? input.sendHighWaterMark : serverConfigDefaults.sendHighWaterMark
  if (typeof input.sendLowWaterMark === 'number' && input.sendLowWaterMark > high) {
    issues.push({ path: ['sendLowWaterMark'], message: `must not be above sendHighWaterMark (${high})` })
  }
  return issues
}
