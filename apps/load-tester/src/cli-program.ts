import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import packageJson from '../package.json' with { type: 'json' }
import { parseDuration } from './duration.js'
import { parseEscapes } from './escapes.js'
import { formatReportHtml } from './format-html.js'
import { formatReportText } from './format-text.js'
import { type LengthFieldLength, type ProtocolName, protocolNames } from './framing.js'
import { LoadOptionError } from './load-option-error.js'
import { type LoadOptions, loadDefaults } from './load-options.js'
import { createProgressDisplay, type ProgressDisplay } from './progress-display.js'
import { parseCount, parseSignedInteger, parseSize } from './quantity.js'
import { runLoad } from './run-load.js'

/** Exit codes of `socketlite-load`. */
export const exitCodes = Object.freeze({
  /** The run completed and every threshold held. */
  ok: 0,
  /** A threshold was violated, or no message completed. */
  thresholdFailed: 1,
  /** Bad command line (unknown flag, bad value, bad target). */
  usage: 2,
})

/** Where the CLI writes; defaults to the process streams. */
export interface CliStreams {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream
}

interface ParsedFlags {
  connections: number
  connectRate: number
  connectTimeout?: number
  duration: number
  warmup: number
  pipeline?: number
  rate?: number
  message?: Uint8Array
  messageFile?: string
  size?: number
  protocol: ProtocolName
  terminator?: Uint8Array
  lengthFieldLength?: LengthFieldLength
  lengthFieldOffset?: number
  byteOrder?: 'be' | 'le'
  lengthAdjustment?: number
  initialBytesToStrip?: number
  beginMark?: Uint8Array
  endMark?: Uint8Array
  spliter?: Uint8Array
  count?: number
  insecure: boolean
  ca?: string
  servername?: string
  timeout: number
  workers: number
  json: boolean
  html?: string
  quiet: boolean
  maxP99?: number
  minRate?: number
  maxErrors?: number
}

/** Wraps one of our parsers so commander reports its failure as a usage error. */
function parser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text)
    } catch (error) {
      if (LoadOptionError.isLoadOptionError(error)) throw new InvalidArgumentError(error.message)
      throw error
    }
  }
}

const positiveInteger = (option: string) =>
  parser((text) => {
    const value = parseCount(text, option, true)
    if (value < 1) throw new LoadOptionError(option, `--${option} must be at least 1`)
    return value
  })

/**
 * Builds the commander program of `socketlite-load` (exported so tests can inspect the options).
 */
export function createProgram(): Command {
  const program = new Command('socketlite-load')
  program
    .description(
      'Load-test any TCP, TLS or UDP echo server: many connections, closed model (-p) or open model (-r), every echo verified byte for byte, HDR latency percentiles.',
    )
    .version(packageJson.version, '-v, --version')
    .argument('<target>', 'tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or HOST:PORT (tcp)')
    .option(
      '-c, --connections <n>',
      'concurrent connections (UDP: sockets)',
      positiveInteger('connections'),
      loadDefaults.connections,
    )
    .option(
      '--connect-rate <n/s>',
      'new connections per second, 0 = unlimited (also paces reconnects)',
      parser((text) => parseCount(text, 'connect-rate')),
      loadDefaults.connectRate,
    )
    .option(
      '--connect-timeout <time>',
      'connect + TLS handshake timeout (default: --timeout)',
      parser((text) => parseDuration(text, 'connect-timeout')),
    )
    .addOption(
      new Option('-d, --duration <time>', 'measured time: 10s, 500ms, 1m')
        .argParser(parser((text) => parseDuration(text, 'duration')))
        .default(loadDefaults.duration, '10s'),
    )
    .addOption(
      new Option('--warmup <time>', 'load applied before measuring (not counted)')
        .argParser(parser((text) => parseDuration(text, 'warmup')))
        .default(0, '0s'),
    )
    .option(
      '-p, --pipeline <depth>',
      'closed model: messages in flight per connection (default 1)',
      positiveInteger('pipeline'),
    )
    .option(
      '-r, --rate <msgs/s>',
      'open model: total messages per second; latency from the intended send time (coordinated omission corrected)',
      parser((text) => parseCount(text, 'rate')),
    )
    .option(
      '-m, --message <string>',
      'message payload; escapes \\r \\n \\t \\0 \\\\ \\xNN',
      parser((text) => parseEscapes(text, 'message')),
    )
    .option('--message-file <path>', 'message payload read from a file (bytes as they are)')
    .option(
      '-s, --size <bytes>',
      `random printable payload of this size (default ${loadDefaults.size}); fixed-size block size`,
      parser((text) => parseSize(text, 'size')),
    )
    .addOption(
      new Option('--protocol <name>', 'framing, as socketlite-echo --protocol').choices(protocolNames).default('line'),
    )
    .option(
      '--terminator <string>',
      'terminator of --protocol terminator (default \\r\\n; escapes allowed)',
      parser((text) => parseEscapes(text, 'terminator')),
    )
    .option(
      '--length-field-length <n>',
      'length-field: width of the length field in bytes: 1, 2, 3, 4 or 8 (default 4)',
      parser((text) => {
        if (!['1', '2', '3', '4', '8'].includes(text.trim())) {
          throw new LoadOptionError('length-field-length', '--length-field-length must be 1, 2, 3, 4 or 8')
        }
        return Number(text) as LengthFieldLength
      }),
    )
    .option(
      '--length-field-offset <n>',
      'length-field: zero bytes before the length field (default 0)',
      parser((text) => parseCount(text, 'length-field-offset', true)),
    )
    .addOption(new Option('--byte-order <order>', 'length-field: byte order (default be)').choices(['be', 'le']))
    .option(
      '--length-adjustment <n>',
      'length-field: field value + adjustment = bytes after the field (default 0)',
      parser((text) => parseSignedInteger(text, 'length-adjustment')),
    )
    .option(
      '--initial-bytes-to-strip <n>',
      'length-field: accepted for parity with socketlite-echo; the server strips, the bytes sent are the same',
      parser((text) => parseCount(text, 'initial-bytes-to-strip', true)),
    )
    .option(
      '--begin-mark <string>',
      'begin-end: begin mark (default !; escapes allowed)',
      parser((text) => parseEscapes(text, 'begin-mark')),
    )
    .option(
      '--end-mark <string>',
      'begin-end: end mark (default $; escapes allowed)',
      parser((text) => parseEscapes(text, 'end-mark')),
    )
    .option(
      '--spliter <char>',
      'count-spliter: spliter byte (default #; escapes allowed)',
      parser((text) => parseEscapes(text, 'spliter')),
    )
    .option('--count <n>', 'count-spliter: spliters per frame, at least 2 (default 8)', positiveInteger('count'))
    .option('--insecure', 'TLS: do not verify the server certificate (self-signed test servers)', false)
    .option('--ca <file>', 'TLS: trust this CA certificate (PEM) instead of the system store')
    .option('--servername <name>', 'TLS: server name for SNI and the certificate check (default: the target host)')
    .addOption(
      new Option('--timeout <time>', 'per-message timeout, counted as timeout errors')
        .argParser(parser((text) => parseDuration(text, 'timeout')))
        .default(loadDefaults.timeout, '5s'),
    )
    .option('--workers <n>', 'worker threads sharing the connections', positiveInteger('workers'), loadDefaults.workers)
    .option('--json', 'print one JSON report object on stdout, nothing else', false)
    .option('--html <file>', 'also write a self-contained HTML report (charts as inline SVG)')
    .option('-q, --quiet', 'no live progress', false)
    .option(
      '--max-p99 <time>',
      'fail (exit 1) if p99 latency is above this',
      parser((text) => parseDuration(text, 'max-p99')),
    )
    .option(
      '--min-rate <msgs/s>',
      'fail (exit 1) if throughput is below this',
      parser((text) => parseCount(text, 'min-rate')),
    )
    .option(
      '--max-errors <n>',
      'fail (exit 1) if more errors than this',
      parser((text) => parseCount(text, 'max-errors', true)),
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 a threshold failed (or no message completed), 2 usage error.

Examples:
  socketlite-load tcp://127.0.0.1:7000 -c 50 -p 16 -d 10s
  socketlite-load tcp://127.0.0.1:7000 -c 20 -r 20k -d 30s --max-p99 5ms
  socketlite-load tls://127.0.0.1:7001 --insecure --protocol length-field --length-field-length 2
  socketlite-load udp://127.0.0.1:7002 -c 4 -p 8 --json > report.json`,
    )
  return program
}

/**
 * Turns parsed flags into {@link LoadOptions} (reads `--message-file` and `--ca`).
 *
 * @param target - the target argument
 * @param flags - commander's parsed options
 * @throws {@link LoadOptionError} for unreadable files or conflicting flags
 */
function toLoadOptions(target: string, flags: ParsedFlags): LoadOptions {
  if (flags.message !== undefined && flags.messageFile !== undefined) {
    throw new LoadOptionError('message-file', '--message and --message-file exclude each other')
  }
  let message = flags.message
  if (flags.messageFile !== undefined) message = readBytes(flags.messageFile, 'message-file')
  const ca = flags.ca === undefined ? undefined : Buffer.from(readBytes(flags.ca, 'ca')).toString('utf8')
  const thresholds = {
    ...(flags.maxP99 === undefined ? {} : { maxP99: flags.maxP99 }),
    ...(flags.minRate === undefined ? {} : { minRate: flags.minRate }),
    ...(flags.maxErrors === undefined ? {} : { maxErrors: flags.maxErrors }),
  }
  return {
    target,
    connections: flags.connections,
    connectRate: flags.connectRate,
    duration: flags.duration,
    warmup: flags.warmup,
    timeout: flags.timeout,
    workers: flags.workers,
    protocol: flags.protocol,
    insecure: flags.insecure,
    thresholds,
    ...(flags.connectTimeout === undefined ? {} : { connectTimeout: flags.connectTimeout }),
    ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
    ...(flags.rate === undefined ? {} : { rate: flags.rate }),
    ...(message === undefined ? {} : { message }),
    ...(flags.size === undefined ? {} : { size: flags.size }),
    ...(flags.terminator === undefined ? {} : { terminator: flags.terminator }),
    ...(flags.lengthFieldLength === undefined ? {} : { lengthFieldLength: flags.lengthFieldLength }),
    ...(flags.lengthFieldOffset === undefined ? {} : { lengthFieldOffset: flags.lengthFieldOffset }),
    ...(flags.byteOrder === undefined ? {} : { byteOrder: flags.byteOrder }),
    ...(flags.lengthAdjustment === undefined ? {} : { lengthAdjustment: flags.lengthAdjustment }),
    ...(flags.beginMark === undefined ? {} : { beginMark: flags.beginMark }),
    ...(flags.endMark === undefined ? {} : { endMark: flags.endMark }),
    ...(flags.spliter === undefined ? {} : { spliter: flags.spliter }),
    ...(flags.count === undefined ? {} : { count: flags.count }),
    ...(ca === undefined ? {} : { ca }),
    ...(flags.servername === undefined ? {} : { servername: flags.servername }),
  }
}

function readBytes(path: string, option: string): Uint8Array {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new LoadOptionError(option, `--${option}: cannot read ${path}: ${(error as Error).message}`)
  }
}

/**
 * Runs `socketlite-load` with `argv` (as `process.argv`: node, script, then arguments) and resolves with the
 * exit code. The first Ctrl-C (SIGINT) stops the run early and still prints the report.
 *
 * @param argv - the full argument vector
 * @param streams - where to write (the process streams by default)
 */
export async function main(argv: readonly string[], streams: CliStreams = process): Promise<number> {
  const program = createProgram()
  program.exitOverride()
  program.configureOutput({
    writeOut: (text) => streams.stdout.write(text),
    writeErr: (text) => streams.stderr.write(text),
  })
  try {
    await program.parseAsync([...argv])
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? exitCodes.ok
        : exitCodes.usage
    }
    throw error
  }
  const flags = program.opts<ParsedFlags>()
  const target = program.args[0] as string
  const usage = (message: string): number => {
    streams.stderr.write(`socketlite-load: error: ${message}\n(see socketlite-load --help)\n`)
    return exitCodes.usage
  }
  let options: LoadOptions
  try {
    options = toLoadOptions(target, flags)
  } catch (error) {
    if (LoadOptionError.isLoadOptionError(error)) return usage(error.message)
    throw error
  }
  const interactive = !flags.quiet && (streams.stderr as NodeJS.WriteStream).isTTY === true
  const display: ProgressDisplay | undefined = interactive
    ? createProgressDisplay(streams.stderr as NodeJS.WriteStream)
    : undefined
  const controller = new AbortController()
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  let report: Awaited<ReturnType<typeof runLoad>>
  try {
    report = await runLoad({
      ...options,
      signal: controller.signal,
      ...(display === undefined ? {} : { onProgress: (progress) => display.update(progress) }),
    })
  } catch (error) {
    if (LoadOptionError.isLoadOptionError(error)) return usage(error.message)
    throw error
  } finally {
    display?.stop()
    process.off('SIGINT', onSigint)
  }
  if (flags.json) streams.stdout.write(`${JSON.stringify(report)}\n`)
  else streams.stdout.write(formatReportText(report))
  if (flags.html !== undefined) {
    await writeFile(flags.html, formatReportHtml(report))
    if (!flags.json) streams.stdout.write(`\n  HTML report written to ${flags.html}\n`)
  }
  const failed = report.thresholds.checks.filter((check) => !check.passed)
  for (const check of failed)
    streams.stderr.write(`socketlite-load: threshold failed: ${check.name}: ${check.description}\n`)
  return failed.length === 0 ? exitCodes.ok : exitCodes.thresholdFailed
}
