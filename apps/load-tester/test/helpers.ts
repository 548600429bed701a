import { execFileSync } from 'node:child_process'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { type ProgramExit, runToExit } from '@socketlite/testing'
import { onTestFinished } from 'vitest'
import type { LoadReport } from '../src/index.js'

export const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
export const schemaPath = fileURLToPath(new URL('../report.schema.json', import.meta.url))

/** A TCP server on 127.0.0.1:0 whose connections are handled by `onConnection`; closed when the test ends. */
export async function startTcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.setNoDelay(true)
    onConnection(socket)
  })
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening', { signal: AbortSignal.timeout(2000) })
  return (server.address() as net.AddressInfo).port
}

/** A bare `node:net` echo. */
export function echo(socket: net.Socket): void {
  socket.on('data', (chunk) => socket.write(chunk))
}

/** A UDP echo on 127.0.0.1:0. */
export async function startUdpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4')
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  socket.on('message', (message, remote) => socket.send(message, remote.port, remote.address))
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening', { signal: AbortSignal.timeout(2000) })
  return socket.address().port
}

/** A self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI in a temp folder. */
export function makeCertificate(): { key: string; cert: string; certFile: string } {
  const folder = mkdtempSync(join(tmpdir(), 'socketlite-load-cert-'))
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }))
  const keyFile = join(folder, 'key.pem')
  const certFile = join(folder, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore', timeout: 10_000 },
  )
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

/** A TLS echo on 127.0.0.1:0. */
export async function startTlsEcho(credentials: { key: string; cert: string }): Promise<number> {
  const sockets = new Set<tls.TLSSocket>()
  const server = tls.createServer(credentials, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', (chunk) => socket.write(chunk))
  })
  server.on('tlsClientError', () => {})
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening', { signal: AbortSignal.timeout(2000) })
  return (server.address() as net.AddressInfo).port
}

export type CliResult = ProgramExit

/** Runs the built binary with `args` (quiet progress; killed after `timeoutMs`). */
export function runCli(args: readonly string[], timeoutMs = 15_000): Promise<CliResult> {
  return runToExit(cliPath, args, timeoutMs)
}

/** Runs the binary with `--json` and parses the one object it prints. */
export async function runCliJson(args: readonly string[]): Promise<CliResult & { report: LoadReport }> {
  const result = await runCli([...args, '--json', '--quiet'])
  let report: LoadReport
  try {
    report = JSON.parse(result.stdout) as LoadReport
  } catch {
    throw new Error(`stdout is not one JSON object (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
  return { ...result, report }
}

/** The JSON Schema keywords {@link checkSchema} understands. */
export interface Schema {
  readonly $ref?: string
  readonly const?: unknown
  readonly enum?: readonly unknown[]
  readonly type?: string | readonly string[]
  readonly minimum?: number
  readonly maximum?: number
  readonly items?: Schema
  readonly required?: readonly string[]
  readonly properties?: Readonly<Record<string, Schema>>
  readonly additionalProperties?: boolean | Schema
}

/**
 * A small JSON Schema checker for the keywords report.schema.json uses: type (one or a list), const, enum,
 * required, properties, additionalProperties (false or a schema), items, minimum, maximum and local $ref.
 * Returns every problem found as `path: message`.
 */
export function checkSchema(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  if (schema.$ref !== undefined) {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root)
    return checkSchema(value, target as Schema, root, path)
  }
  const problems: string[] = []
  if (schema.const !== undefined && value !== schema.const) problems.push(`${path}: expected ${schema.const}`)
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: ${String(value)} not in enum`)
  if (schema.type !== undefined) {
    const types: readonly string[] = typeof schema.type === 'string' ? [schema.type] : schema.type
    if (!types.some((type) => matchesType(value, type))) {
      return [...problems, `${path}: expected ${types.join('|')}, got ${value === null ? 'null' : typeof value}`]
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: above ${schema.maximum}`)
  }
  const items = schema.items
  if (Array.isArray(value) && items !== undefined) {
    value.forEach((item, index) => {
      problems.push(...checkSchema(item, items, root, `${path}[${index}]`))
    })
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>
    for (const key of schema.required ?? []) {
      if (!(key in record)) problems.push(`${path}: missing ${key}`)
    }
    const properties = schema.properties ?? {}
    for (const [key, item] of Object.entries(record)) {
      const propertySchema = properties[key]
      if (propertySchema !== undefined) problems.push(...checkSchema(item, propertySchema, root, `${path}.${key}`))
      else if (schema.additionalProperties === false) problems.push(`${path}: unexpected ${key}`)
      else if (typeof schema.additionalProperties === 'object') {
        problems.push(...checkSchema(item, schema.additionalProperties, root, `${path}.${key}`))
      }
    }
  }
  return problems
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'array':
      return Array.isArray(value)
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value)
    case 'integer':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    default:
      return typeof value === type
  }
}
