import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { SocketError } from '@socketlite/app-server'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  type CliFlags,
  type CliIo,
  type CliOptions,
  formatEscapes,
  formatListenerUrl,
  mergeFlags,
  parseCommandLine,
  parseEscapes,
  parseListenUrl,
  parseMetricsAddress,
} from '../src/index.js'

interface Captured {
  readonly io: CliIo
  stdout(): string
  stderr(): string
}

function capture(): Captured {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  return { io: { stdout, stderr }, stdout: () => out, stderr: () => err }
}

function parse(args: readonly string[]): { result: CliOptions | number; output: Captured } {
  const output = capture()
  return { result: parseCommandLine(['node', 'socketlite-echo', ...args], output.io), output }
}

function options(args: readonly string[]): CliOptions {
  const { result, output } = parse(args)
  if (typeof result === 'number') throw new Error(`exit ${result}: ${output.stderr()}`)
  return result
}

async function configFile(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'socketlite-echo-test-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'server.json')
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return SocketError.isSocketError(error) ? error.code : 'not a SocketError'
  }
  return undefined
}

const baseFlags: CliFlags = { protocol: 'line', logLevel: 'info' }

describe('command line', () => {
  test('defaults: line protocol on 127.0.0.1:7000, info logs, one process', () => {
    const parsed = options([])
    expect(parsed.config).toMatchObject({ name: 'socketlite-echo', port: 7000 })
    expect(parsed.config.ip).toBeUndefined() // the server's default, 127.0.0.1
    expect(parsed.protocol.protocol).toBe('line')
    expect(parsed.logLevel).toBe('info')
    expect(parsed.cluster).toBeUndefined()
    expect(parsed.metrics).toBeUndefined()
  })

  test('--metrics host:port (IPv6 in brackets, port 0 allowed); anything else exits 2', () => {
    expect(options(['--metrics', '127.0.0.1:9464']).metrics).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(options(['--metrics', '[::1]:0']).metrics).toEqual({ host: '::1', port: 0 })
    expect(options(['--metrics', 'localhost:9100']).metrics).toEqual({ host: 'localhost', port: 9100 })
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:', '127.0.0.1:70000', '::1:9464', 'host:port', ':9464']) {
      const { result, output } = parse(['--metrics', bad])
      expect(result, bad).toBe(2)
      expect(output.stderr(), bad).toMatch(/^socketlite-echo: error: .*--metrics must be host:port/)
    }
    expect(errorCode(() => parseMetricsAddress('x'))).toBe('ERR_INVALID_ARGUMENT')
  })

  test('every framing flag of socketlite-load is accepted, with its escapes', () => {
    const parsed = options([
      ...['--protocol', 'length-field', '--terminator', '\\r\\n\\r\\n', '--size', '4k'],
      ...['--length-field-length', '2', '--length-field-offset', '1', '--byte-order', 'le'],
      ...['--length-adjustment', '-2', '--initial-bytes-to-strip', '3', '--begin-mark', '\\x02'],
      ...['--end-mark', '\\x03', '--spliter', '|', '--count', '4', '--encoding', 'latin1'],
    ])
    expect(parsed.protocol).toEqual({
      protocol: 'length-field',
      encoding: 'latin1',
      terminator: Buffer.from('\r\n\r\n'),
      size: 4096,
      lengthFieldLength: 2,
      lengthFieldOffset: 1,
      byteOrder: 'le',
      lengthAdjustment: -2,
      initialBytesToStrip: 3,
      beginMark: Buffer.of(2),
      endMark: Buffer.of(3),
      spliter: Buffer.from('|'),
      count: 4,
    })
    expect(parsed.config.textEncoding).toBe('latin1')
  })

  test.each([
    [['--bogus']],
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--protocol', 'morse']],
    [['--mode', 'sctp']],
    [['--length-field-length', '5']],
    [['--count', '1']],
    [['--size', '1.5']],
    [['--cluster', '0']],
    [['--log-level', 'loud']],
    [['extra-argument']],
    [['--terminator', '\\q']],
    [['--protocol', 'count-spliter', '--spliter', 'ab']],
    [['--protocol', 'terminator', '--terminator', '']],
    [['--listen', 'http://127.0.0.1:80']],
    [['--listen', 'tcp://127.0.0.1:0', '--port', '1']],
    [['--listen', 'tcp://127.0.0.1:0', '--listen', 'udp://127.0.0.1:0']],
    [['--listen', 'tcp://127.0.0.1:0', '--mode', 'udp']],
    [['--protocol', 'fixed-size', '--size', '100', '--max-request-length', '64']],
    [['--config', '/nonexistent/server.json']],
    [['--log-format', 'xml']],
  ])('%j is a usage error: exit 2, message on stderr, nothing on stdout', (args) => {
    const { result, output } = parse(args)
    expect(result).toBe(2)
    // one convention for every problem, shared with socketlite-load: "<tool>: error: <what>", then where to look
    expect(output.stderr()).toMatch(/^socketlite-echo: error: \S/)
    expect(output.stderr()).toMatch(/\(see socketlite-echo --help\)\n$/)
    expect(output.stdout()).toBe('')
  })

  test('--help writes every default one way, "(…default: x)", never quoted, never "(default x)"', () => {
    const { output } = parse(['--help'])
    const help = output.stdout().replace(/\s+/g, ' ')
    expect(help).not.toMatch(/\(default [^:]/i)
    expect(help).not.toMatch(/; default [^:]/i)
    expect(help).not.toMatch(/default: "/)
    expect(help).not.toMatch(/choices: "/)
    for (const shown of [
      '(default: 127.0.0.1)',
      '(default: 7000)',
      '(choices: tcp, udp; default: tcp)',
      '(choices: line, terminator, fixed-size, length-field, begin-end, count-spliter, raw; default: line)',
      '(default: \\r\\n)',
      '(default: 32)',
      '(choices: 1, 2, 3, 4, 8; default: 4)',
      '(choices: be, le; default: be)',
      '(default: !)',
      '(default: $)',
      '(default: #)',
      '(default: 8)',
      '(default: 65536)',
      '(default: 10000)',
      '(choices: debug, info, warn, error, silent; default: info)',
      '(choices: pretty, json; default: pretty on a terminal, json otherwise)',
      'serve Prometheus metrics on http://HOST:PORT/metrics (IPv6 as [::1]:PORT, 0 = ephemeral) (default: off)',
    ]) {
      expect(help).toContain(shown)
    }
  })

  test('--log-format pretty|json is passed on; without it the format follows the terminal', () => {
    expect(options(['--log-format', 'json']).logFormat).toBe('json')
    expect(options(['--log-format', 'pretty']).logFormat).toBe('pretty')
    expect(options([]).logFormat).toBeUndefined()
  })

  test('--help and --version print on stdout and exit 0', () => {
    const help = parse(['--help'])
    expect(help.result).toBe(0)
    expect(help.output.stdout()).toContain('--length-field-offset')
    const version = parse(['--version'])
    expect(version.result).toBe(0)
    expect(version.output.stdout()).toMatch(/^\d+\.\d+\.\d+/)
  })

  test('an invalid merged configuration lists every bad field and exits 2', () => {
    const { result, output } = parse(['--ip', 'not-an-ip', '--tls', '--cert', 'cert.pem'])
    expect(result).toBe(2)
    expect(output.stderr()).toMatch(/^socketlite-echo: error: invalid configuration/)
    expect(output.stderr()).toContain('- ip:')
    expect(output.stderr()).toContain('- certificate.keyFile:')
  })
})

describe('--config', () => {
  test('a valid file is used; flags override its values', async () => {
    const path = await configFile({
      $schema: './server.schema.json',
      name: 'from-file',
      listeners: [
        { ip: '127.0.0.1', port: 0 },
        { ip: '::1', port: 0 },
      ],
      maxRequestLength: 1000,
      idleSessionTimeOut: 30,
    })
    const fromFile = options(['--config', path])
    expect(fromFile.config).toMatchObject({ name: 'from-file', maxRequestLength: 1000, idleSessionTimeOut: 30 })
    expect(fromFile.config.listeners).toHaveLength(2)
    const overridden = options(['--config', path, '--port', '0', '--max-request-length', '2000'])
    expect(overridden.config).toMatchObject({ port: 0, maxRequestLength: 2000, idleSessionTimeOut: 30 })
    expect(overridden.config.listeners).toBeUndefined()
  })

  test('an invalid file: exit 2 and every bad field listed', async () => {
    const path = await configFile({ port: -1, ip: 'nowhere', noDelay: 'yes', sendTimeOut: 1.5, typo: true })
    const { result, output } = parse(['--config', path])
    expect(result).toBe(2)
    for (const field of ['port', 'ip', 'noDelay', 'sendTimeOut']) expect(output.stderr()).toContain(`- ${field}:`)
    expect(output.stderr()).toContain('typo')
  })

  test.each([['{ not json'], ['[1, 2]']])('%s is a usage error', async (content) => {
    const { result, output } = parse(['--config', await configFile(content)])
    expect(result).toBe(2)
    expect(output.stderr()).toContain('--config')
  })

  test('TLS in UDP mode is one issue (not also a missing certificate)', () => {
    const { result, output } = parse(['--mode', 'udp', '--tls'])
    expect(result).toBe(2)
    expect(output.stderr()).toContain('- security:')
    expect(output.stderr()).not.toContain('certificate')
  })

  test('TLS without a certificate is valid (a self-signed one is made at start); --cert without --key is not', () => {
    expect(options(['--tls']).config.certificate).toBeUndefined()
    const { result, output } = parse(['--tls', '--cert', 'cert.pem'])
    expect(result).toBe(2)
    expect(output.stderr()).toContain('certificate.keyFile')
  })
})

describe('mergeFlags', () => {
  test('--listen replaces the endpoints; the scheme decides TLS and UDP', () => {
    const file = { port: 1, ip: '127.0.0.1', security: 'tls' }
    const merged = mergeFlags(file, { ...baseFlags, listen: ['tcp://127.0.0.1:0', 'tls://[::1]:0'] })
    expect(merged).toMatchObject({
      mode: 'tcp',
      listeners: [
        { ip: '127.0.0.1', port: 0, security: 'none' },
        { ip: '::1', port: 0, security: 'tls' },
      ],
    })
    expect(merged.port).toBeUndefined()
    expect(merged.ip).toBeUndefined()
    expect(mergeFlags({}, { ...baseFlags, listen: ['udp://127.0.0.1:9'] })).toMatchObject({
      mode: 'udp',
      listeners: [{ ip: '127.0.0.1', port: 9 }],
    })
  })

  test('--ip/--port replace listeners from the file; --cert/--key keep the other certificate options', () => {
    const file = {
      listeners: [{ ip: '127.0.0.1', port: 5 }],
      certificate: { pfxFile: 'a.pfx', caFile: 'ca.pem', minVersion: 'TLSv1.3' },
    }
    expect(mergeFlags(file, { ...baseFlags, ip: '::1', cert: 'c.pem', key: 'k.pem' })).toMatchObject({
      ip: '::1',
      port: 7000,
      certificate: { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem', minVersion: 'TLSv1.3' },
    })
  })

  test('the file is not modified', () => {
    const file = { port: 1 }
    mergeFlags(file, { ...baseFlags, port: 2, tls: true })
    expect(file).toEqual({ port: 1 })
  })
})

describe('endpoint URLs and escapes', () => {
  test('parseListenUrl', () => {
    expect(parseListenUrl('tcp://127.0.0.1:7000')).toEqual({ scheme: 'tcp', ip: '127.0.0.1', port: 7000 })
    expect(parseListenUrl('TLS://[::1]:0')).toEqual({ scheme: 'tls', ip: '::1', port: 0 })
    expect(parseListenUrl('udp://Any:9')).toEqual({ scheme: 'udp', ip: 'Any', port: 9 })
    for (const bad of ['127.0.0.1:1', 'tcp://127.0.0.1', 'tcp://::1:5', 'tcp://1.2.3.4:99999', 'ws://a:1']) {
      expect(errorCode(() => parseListenUrl(bad))).toBe('ERR_INVALID_ARGUMENT')
    }
  })

  test('formatListenerUrl', () => {
    const info = { ip: '::1', port: 5, family: 'IPv6', security: 'none', mode: 'tcp' } as const
    expect(formatListenerUrl(info)).toBe('tcp://[::1]:5')
    expect(formatListenerUrl({ ...info, security: 'tls' })).toBe('tls://[::1]:5')
    expect(formatListenerUrl({ ...info, ip: '127.0.0.1', family: 'IPv4', mode: 'udp' })).toBe('udp://127.0.0.1:5')
  })

  test('parseEscapes reads what socketlite-load reads, and formatEscapes shows it back', () => {
    expect(parseEscapes('a\\r\\n\\t\\0\\\\\\x7fé', 'x')).toEqual(
      Buffer.concat([Buffer.from('a\r\n\t\0\\'), Buffer.of(0x7f), Buffer.from('é')]),
    )
    expect(parseEscapes('é', 'x', 'latin1')).toEqual(Buffer.of(0xe9))
    expect(formatEscapes(parseEscapes('a\\r\\n\\x00', 'x'))).toBe('a\\r\\n\\x00')
    for (const bad of ['\\', '\\x1', '\\xZZ', '\\q'])
      expect(errorCode(() => parseEscapes(bad, 'x'))).toBe('ERR_INVALID_ARGUMENT')
  })
})
