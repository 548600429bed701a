import { z } from 'zod'

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

const ipMessage = 'must be an IPv4 or IPv6 address, "Any" (0.0.0.0) or "IPv6Any" (::)'

const ipSchema = z
  .union([z.literal('Any'), z.literal('IPv6Any'), z.ipv4(), z.ipv6()], { error: ipMessage })
  .describe('Listen address: an IPv4 or IPv6 literal, "Any" (0.0.0.0) or "IPv6Any" (::).')

const portSchema = z.int().min(0).max(65_535).describe('Listen port; 0 asks the system for a free one.')
const backlogSchema = z.int().min(1).max(maxTimerMilliseconds)
const securitySchema = z.enum(['none', 'tls'])
const milliseconds = (minimum: number) => z.int().min(minimum).max(maxTimerMilliseconds)
const seconds = () =>
  z
    .number()
    .positive()
    .max(maxTimerMilliseconds / 1000)

/** One endpoint of `listeners`. */
const listenerSchema = z
  .strictObject({
    ip: ipSchema,
    port: portSchema,
    backlog: backlogSchema.optional().describe('Accept backlog. Default: the server\'s "listenBacklog" (511).'),
    security: securitySchema.optional().describe('Overrides the server\'s "security" for this endpoint.'),
  })
  .describe('One endpoint served by the server.')

/** `{ certFile, keyFile }` or `{ pfxFile }`, plus the shared options; which form is checked by the cross-field rules. */
const certificateSchema = z
  .strictObject({
    certFile: z.string().min(1).optional().describe('Certificate chain, PEM file (with "keyFile").'),
    keyFile: z.string().min(1).optional().describe('Private key, PEM file (with "certFile").'),
    pfxFile: z.string().min(1).optional().describe('Certificate and key, PKCS#12 (PFX) file.'),
    passphrase: z.string().optional().describe('Passphrase of the PFX file or of an encrypted key.'),
    caFile: z.string().min(1).optional().describe('CA bundle (PEM) that client certificates must be signed by.'),
    clientCertificateRequired: z
      .boolean()
      .optional()
      .describe('Refuse clients without a valid certificate signed by "caFile". Default false.'),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).optional().describe('Lowest TLS version accepted. Default TLSv1.2.'),
  })
  .describe('Server certificate: { certFile, keyFile } or { pfxFile, passphrase? }. Required when any listener is TLS.')

/**
 * The field rules of `ServerConfig` (types, ranges, defaults). The rules that relate several fields (exactly one of
 * `port` / `listeners`, TLS needs a certificate, low mark ≤ high mark, ...) are {@link serverConfigCrossFieldSchema}.
 * Unknown keys are errors (a typo must not pass silently); `$schema` is allowed for editors.
 */
export const serverConfigFieldSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema of this file, for editor completion.'),
    name: z.string().min(1).default('socketlite').describe('Server name; also the logger name.'),
    ip: ipSchema.default('127.0.0.1'),
    port: portSchema.optional().describe('Listen port (0 = ephemeral). Exactly one of "port" or "listeners".'),
    listeners: z
      .array(listenerSchema)
      .min(1)
      .optional()
      .describe('Several endpoints served by one server. Exactly one of "port" or "listeners".'),
    listenBacklog: backlogSchema.default(511).describe('Accept backlog of the "ip"/"port" listener.'),
    mode: z.enum(['tcp', 'udp']).default('tcp').describe('"tcp" or "udp", for every listener.'),
    security: securitySchema.default('none').describe('Server-wide default security; each listener may override it.'),
    certificate: certificateSchema.optional(),
    handshakeTimeOut: milliseconds(1)
      .default(10_000)
      .describe('A TLS client that has not completed its handshake by then is dropped (ms).'),
    maxConnectionNumber: z
      .int()
      .min(1)
      .max(maxTimerMilliseconds)
      .default(10_000)
      .describe('Sessions at once; a connection over the limit is closed at once with no session events.'),
    maxConnectionsPerIp: z
      .int()
      .min(0)
      .max(maxTimerMilliseconds)
      .default(0)
      .describe('Sessions at once per remote address; 0 = unlimited.'),
    maxRequestLength: z
      .int()
      .min(1)
      .max(maxTimerMilliseconds)
      .default(65_536)
      .describe('Largest frame in bytes, counted whole (header + body + terminator or marks), inclusive.'),
    sendTimeOut: z
      .int()
      .min(-maxTimerMilliseconds)
      .max(maxTimerMilliseconds)
      .default(5_000)
      .describe('How long send() waits for room in the sending queue (ms); 0 = forever, < 0 = fail at once.'),
    sendHighWaterMark: z
      .int()
      .min(1)
      .max(maxTimerMilliseconds)
      .default(65_536)
      .describe("A session's sending queue (queued + unflushed socket bytes) may not grow past this (bytes)."),
    sendLowWaterMark: z
      .int()
      .min(0)
      .max(maxTimerMilliseconds)
      .optional()
      .describe('Waiting senders and a paused reader resume below this (bytes). Default: half the high mark.'),
    closeTimeOut: milliseconds(0)
      .default(5_000)
      .describe('How long a closing session drains its queue before the socket is destroyed (ms).'),
    clearIdleSession: z
      .boolean()
      .default(true)
      .describe('Close sessions idle longer than "idleSessionTimeOut" with CloseReason.TimeOut.'),
    idleSessionTimeOut: seconds()
      .default(300)
      .describe('Idle = nothing received for this long (seconds, fractions allowed). Sends do not count.'),
    clearIdleSessionInterval: seconds()
      .default(120)
      .describe('How often idleness is checked (seconds, fractions allowed).'),
    keepAliveTime: z
      .number()
      .min(0)
      .max(maxTimerMilliseconds / 1000)
      .default(600)
      .describe('TCP keep-alive initial delay (seconds); 0 = off.'),
    noDelay: z.boolean().default(true).describe('TCP_NODELAY on accepted sockets.'),
    textEncoding: z
      .enum(textEncodings)
      .default('utf8')
      .describe('Encoding of string requests and of strings passed to send().'),
    logBasicSessionActivity: z.boolean().default(true).describe('Log connect and close of each session at info level.'),
  })
  .describe('socketlite server configuration (server.json).')

/** A record with only the keys the cross-field rules read, whatever their types. */
type Loose = Record<string, unknown>

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function listenerSecurity(listener: Loose, config: Loose): unknown {
  return listener.security ?? config.security ?? 'none'
}

/**
 * The rules of `ServerConfig` that relate several fields. They run on the raw input even when some fields are
 * malformed, so one `ConfigError` lists every problem; each rule looks only at fields whose types are right.
 */
export const serverConfigCrossFieldSchema = z.unknown().superRefine((input, context) => {
  if (!isRecord(input)) return
  const hasPort = input.port !== undefined
  const hasListeners = input.listeners !== undefined
  if (hasPort === hasListeners) {
    context.addIssue({
      code: 'custom',
      path: hasPort ? ['listeners'] : ['port'],
      message: hasPort
        ? 'give either "port" or "listeners", not both'
        : 'one of "port" or "listeners" is required (port 0 = ephemeral)',
    })
  }
  if (hasListeners && input.ip !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['ip'],
      message: '"ip" applies to "port" only; give each listener its ip',
    })
  }
  const listeners: Loose[] = Array.isArray(input.listeners)
    ? input.listeners.filter(isRecord)
    : hasPort
      ? [{ ip: input.ip ?? '127.0.0.1', port: input.port }]
      : []
  const tls = listeners.some((listener) => listenerSecurity(listener, input) === 'tls')
  if (tls && input.certificate === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['certificate'],
      message: 'required when a listener uses TLS ({ certFile, keyFile } or { pfxFile })',
    })
  }
  if (tls && input.mode === 'udp') {
    context.addIssue({ code: 'custom', path: ['security'], message: 'TLS is not available in "udp" mode' })
  }

  if (Array.isArray(input.listeners)) {
    const seen = new Map<string, number>()
    input.listeners.forEach((listener, index) => {
      if (!isRecord(listener) || typeof listener.ip !== 'string' || typeof listener.port !== 'number') return
      if (listener.port === 0) return
      const ip = listener.ip === 'Any' ? '0.0.0.0' : listener.ip === 'IPv6Any' ? '::' : listener.ip
      const key = `${ip.toLowerCase()}|${listener.port}`
      const first = seen.get(key)
      if (first === undefined) seen.set(key, index)
      else {
        context.addIssue({
          code: 'custom',
          path: ['listeners', index],
          message: `same endpoint as listeners.${first}`,
        })
      }
    })
  }

  const certificate = input.certificate
  if (isRecord(certificate)) {
    const pem = certificate.certFile !== undefined || certificate.keyFile !== undefined
    const pfx = certificate.pfxFile !== undefined
    if (pem && pfx) {
      context.addIssue({
        code: 'custom',
        path: ['certificate'],
        message: 'give either { certFile, keyFile } or { pfxFile }, not both',
      })
    } else if (!pem && !pfx) {
      context.addIssue({ code: 'custom', path: ['certificate'], message: 'needs { certFile, keyFile } or { pfxFile }' })
    } else if (pem) {
      for (const key of ['certFile', 'keyFile'] as const) {
        if (certificate[key] === undefined) {
          context.addIssue({
            code: 'custom',
            path: ['certificate', key],
            message: `required with "certFile"/"keyFile"`,
          })
        }
      }
    }
    if (certificate.clientCertificateRequired === true && certificate.caFile === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['certificate', 'caFile'],
        message: 'required when "clientCertificateRequired" is true',
      })
    }
  }

  const high = typeof input.sendHighWaterMark === 'number' ? input.sendHighWaterMark : 65_536
  if (typeof input.sendLowWaterMark === 'number' && input.sendLowWaterMark > high) {
    context.addIssue({
      code: 'custom',
      path: ['sendLowWaterMark'],
      message: `must not be above sendHighWaterMark (${high})`,
    })
  }
})
