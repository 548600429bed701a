import { availableParallelism } from 'node:os'
import { type LogLevel, SocketError, serverConfigDefaults } from '@socketlite/app-server'
import { Command, CommanderError, Option, InvalidArgumentError as UsageError } from 'commander'
import packageJson from '../package.json' with { type: 'json' }
import {
  type CliFlags,
  type CliOptions,
  defaultEchoPort,
  formatConfigIssues,
  resolveCliOptions,
} from './cli-options.js'
import { runClusterPrimary } from './cluster-primary.js'
import { echoProtocolDefaults, echoProtocolNames } from './echo-protocol.js'
import { type EchoServer, startEchoServer } from './echo-server.js'
import { parseMetricsAddress } from './metrics-endpoint.js'
import { PinoLogFactory } from './pino-log-factory.js'
import { waitForStopSignal } from './stop-signal.js'
import { logStopped } from './stop-summary.js'

/** Exit codes of `socketlite-echo`. */
export const exitCodes = Object.freeze({
  /** Stopped cleanly (SIGINT/SIGTERM), or `--help` / `--version`. */
  ok: 0,
  /** The server could not start (e.g. the port is in use) or failed while running. */
  failed: 1,
  /** Bad command line or configuration: an unknown flag, a bad value, an invalid `--config` file. */
  usage: 2,
})

/** Where the CLI writes, and what stops it; the process's streams and signals by default. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  /**
   * Stops the server when aborted, instead of SIGINT/SIGTERM (for running the CLI inside another program).
   * @default undefined (the process's SIGINT and SIGTERM)
   */
  readonly signal?: AbortSignal
}

const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']
const textEncodings = ['utf8', 'utf-8', 'ascii', 'latin1', 'binary', 'utf16le', 'ucs2', 'ucs-2', 'base64', 'hex']

function integer(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new UsageError(`--${flag} must be an integer, got "${text}"`)
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${text.trim()}`)
    }
    return value
  }
}

const sizeUnits: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
}

/** A byte size as `socketlite-load` writes them: `32`, `4k` (4096), `1MiB`. */
function size(flag: string, min: number): (text: string) => number {
  return (text) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
    const factor = match === null ? undefined : sizeUnits[(match[2] ?? '').toLowerCase()]
    if (match === null || factor === undefined) {
      throw new UsageError(`--${flag} must be a size such as 32, 4k or 1MiB, got "${text}"`)
    }
    const value = Number(match[1]) * factor
    if (!Number.isSafeInteger(value) || value < min) {
      throw new UsageError(`--${flag} must be a whole number of bytes, at least ${min}, got "${text}"`)
    }
    return value
  }
}

function clusterSize(text: string): number {
  if (text.trim() === 'auto') return availableParallelism()
  return integer('cluster', 1, 1024)(text)
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/**
 * How an option reads in `--help`, the same in both CLIs: the description, then `(choices: a, b; default: x)`.
 * Defaults are written one way only, `default: x`, with no quotes.
 */
function optionDescription(option: Option): string {
  const extra: string[] = []
  if (option.argChoices !== undefined) extra.push(`choices: ${option.argChoices.join(', ')}`)
  const shown =
    option.defaultValueDescription ??
    (option.defaultValue === undefined || typeof option.defaultValue === 'boolean'
      ? undefined
      : String(option.defaultValue))
  if (shown !== undefined) extra.push(`default: ${shown}`)
  return extra.length === 0 ? option.description : `${option.description} (${extra.join('; ')})`
}

/** An option whose default is only shown in `--help` (the value stays undefined when the flag is not given). */
function shownDefault(option: Option, shown: string | number): Option {
  option.defaultValueDescription = String(shown)
  return option
}

/** Builds the commander program of `socketlite-echo` (exported so tests can inspect the options). */
export function createProgram(): Command {
  const defaults = echoProtocolDefaults
  return new Command('socketlite-echo')
    .description(
      'Echo server for every socketlite protocol over TCP, TLS and UDP: each request comes back byte for byte, framed as it came in.',
    )
    .configureHelp({ optionDescription })
    .version(packageJson.version, '-v, --version')
    .option('--config <file>', 'server.json (the app-server configuration; the flags override it)')
    .addOption(shownDefault(new Option('--ip <address>', 'listen address; Any = 0.0.0.0, IPv6Any = ::'), '127.0.0.1'))
    .addOption(
      shownDefault(
        new Option('--port <port>', 'listen port, 0 = ephemeral').argParser(integer('port', 0, 65_535)),
        defaultEchoPort,
      ),
    )
    .option(
      '--listen <url>',
      'an endpoint, repeatable: tcp://IP:PORT, tls://IP:PORT, udp://IP:PORT (IPv6 as [::1]); replaces --ip/--port',
      collect,
    )
    .addOption(shownDefault(new Option('--mode <mode>', 'transport of every endpoint').choices(['tcp', 'udp']), 'tcp'))
    .option('--tls', 'TLS on the --ip/--port endpoint (self-signed certificate unless --cert/--key)')
    .option('--cert <file>', 'TLS certificate chain, PEM')
    .option('--key <file>', 'TLS private key, PEM')
    .addOption(
      new Option('--protocol <name>', 'framing, as socketlite-load --protocol')
        .choices(echoProtocolNames)
        .default('line'),
    )
    .addOption(
      shownDefault(
        new Option('--terminator <string>', 'terminator: frame end (escapes \\r \\n \\t \\0 \\\\ \\xNN)'),
        '\\r\\n',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--size <bytes>', 'fixed-size: bytes per frame').argParser(size('size', 1)),
        defaults.size,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--length-field-length <n>', 'length-field: field width in bytes')
          .choices(['1', '2', '3', '4', '8'])
          .argParser((text) => {
            if (!['1', '2', '3', '4', '8'].includes(text.trim())) {
              throw new UsageError(`--length-field-length must be 1, 2, 3, 4 or 8, got "${text}"`)
            }
            return Number(text)
          }),
        defaults.lengthFieldLength,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--length-field-offset <n>', 'length-field: bytes before the field').argParser(
          integer('length-field-offset', 0),
        ),
        defaults.lengthFieldOffset,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--byte-order <order>', 'length-field: byte order').choices(['be', 'le']),
        defaults.byteOrder,
      ),
    )
    .addOption(
      shownDefault(
        new Option(
          '--length-adjustment <n>',
          'length-field: field value + adjustment = bytes after the field',
        ).argParser(integer('length-adjustment', Number.MIN_SAFE_INTEGER)),
        defaults.lengthAdjustment,
      ),
    )
    .addOption(
      shownDefault(
        new Option(
          '--initial-bytes-to-strip <n>',
          'length-field: bytes stripped from each request (the echo keeps them)',
        ).argParser(integer('initial-bytes-to-strip', 0)),
        defaults.initialBytesToStrip,
      ),
    )
    .addOption(
      shownDefault(new Option('--begin-mark <string>', 'begin-end: begin mark (escapes allowed)'), defaults.beginMark),
    )
    .addOption(
      shownDefault(new Option('--end-mark <string>', 'begin-end: end mark (escapes allowed)'), defaults.endMark),
    )
    .addOption(
      shownDefault(new Option('--spliter <char>', 'count-spliter: spliter byte (escapes allowed)'), defaults.spliter),
    )
    .addOption(
      shownDefault(
        new Option('--count <n>', 'count-spliter: spliters per frame, at least 2').argParser(integer('count', 2)),
        defaults.count,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--encoding <name>', 'text encoding of marks and terminators').choices(textEncodings),
        serverConfigDefaults.textEncoding,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--max-request-length <bytes>', 'largest frame, whole').argParser(size('max-request-length', 1)),
        serverConfigDefaults.maxRequestLength,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--max-connections <n>', 'sessions at once').argParser(integer('max-connections', 1)),
        serverConfigDefaults.maxConnectionNumber,
      ),
    )
    .addOption(
      shownDefault(
        new Option('--cluster <n>', 'run n worker processes sharing the endpoints ("auto" = one per core)').argParser(
          clusterSize,
        ),
        'one process, no workers',
      ),
    )
    .addOption(
      shownDefault(
        new Option(
          '--metrics <host:port>',
          'serve Prometheus metrics on http://HOST:PORT/metrics (IPv6 as [::1]:PORT, 0 = ephemeral)',
        ).argParser((text) => {
          try {
            return parseMetricsAddress(text)
          } catch (error) {
            throw new UsageError((error as Error).message)
          }
        }),
        'off',
      ),
    )
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(logLevels).default('info'))
    .addOption(
      shownDefault(
        new Option('--log-format <format>', 'pretty lines for people, or one JSON object a line').choices([
          'pretty',
          'json',
        ]),
        'pretty on a terminal, json otherwise',
      ),
    )
    .showHelpAfterError('(see socketlite-echo --help)')
    .addHelpText(
      'after',
      `
Output: the first stdout lines are one per endpoint, "listening tcp://127.0.0.1:7000" (tls://, udp://), with the
actual port when 0 was asked; with --metrics, then "metrics http://127.0.0.1:9464/metrics". Logs go to stderr. When it stops, one summary line (sessions, requests, bytes, close
reasons); the full statistics are fields of that line in JSON logs, and a debug line in pretty logs.
SIGINT/SIGTERM stop gracefully (queued replies are sent) and exit 0; a second signal exits at once.
Exit codes: 0 stopped cleanly, 1 could not start, 2 usage or configuration error.
Problems are written to stderr as "socketlite-echo: error: ...", as socketlite-load does.

Examples:
  socketlite-echo --port 7000
  socketlite-echo --port 7000 --protocol length-field --length-field-length 2
  socketlite-echo --listen tcp://127.0.0.1:7000 --listen tls://[::1]:7001
  socketlite-echo --mode udp --port 7002 --protocol begin-end
  socketlite-echo --config server.json --log-level warn --cluster auto
  socketlite-echo --port 7000 --metrics 127.0.0.1:9464   (then: curl 127.0.0.1:9464/metrics)`,
    )
}

/** The prefix of every line the CLI writes about a problem (the same convention as `socketlite-load`). */
const errorPrefix = 'socketlite-echo: error: '

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`${errorPrefix}${message}\n(see socketlite-echo --help)\n`)
  return exitCodes.usage
}

function configError(
  io: CliIo,
  error: SocketError & { issues?: readonly { path: string; message: string }[] },
): number {
  io.stderr.write(
    `${errorPrefix}invalid configuration (--config file and flags):\n${formatConfigIssues(error as never)}\n`,
  )
  return exitCodes.usage
}

/**
 * Reports a startup error on stderr and returns the exit code: 2 for configuration and usage errors, 1 for the
 * rest (a port in use, ...). Rethrows what is not a socketlite error.
 */
export function reportStartError(io: CliIo, error: unknown): number {
  if (SocketError.isSocketError(error)) {
    if (error.code === 'ERR_INVALID_CONFIG') return configError(io, error)
    if (error.code === 'ERR_INVALID_ARGUMENT') return usageError(io, error.message)
    const cause = (error as { cause?: unknown }).cause
    const detail = cause instanceof Error && !error.message.includes(cause.message) ? ` (${cause.message})` : ''
    io.stderr.write(`${errorPrefix}${error.message}${detail}\n`)
    return exitCodes.failed
  }
  throw error
}

/**
 * Parses `argv` and validates it against the config file.
 * @returns the options, or the exit code to end with (help, version, usage or configuration error)
 */
export function parseCommandLine(argv: readonly string[], io: CliIo): CliOptions | number {
  const program = createProgram()
  program.exitOverride()
  program.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    // commander's own messages start with "error: "
    outputError: (text, write) => write(`socketlite-echo: ${text}`),
  })
  try {
    program.parse([...argv])
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? exitCodes.ok
        : exitCodes.usage
    }
    throw error
  }
  try {
    return resolveCliOptions(program.opts<CliFlags>())
  } catch (error) {
    return reportStartError(io, error)
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr }
}

/**
 * Runs `socketlite-echo` with `argv` (as `process.argv`: node, script, then the arguments) and resolves with the
 * exit code once the server has stopped (SIGINT/SIGTERM, or `io.signal`).
 *
 * @param argv - the full argument vector
 * @param io - where to write and what stops the server
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const options = parseCommandLine(argv, io)
  if (typeof options === 'number') return options
  if (options.cluster !== undefined) return runClusterPrimary(options, io)
  const logFactory = new PinoLogFactory({
    level: options.logLevel,
    destination: io.stderr === process.stderr ? 2 : io.stderr,
    ...(options.logFormat === undefined ? {} : { pretty: options.logFormat === 'pretty' }),
  })
  // Listen for SIGINT/SIGTERM before starting: a signal that comes during the start stops the server right after.
  const stopSignal = waitForStopSignal(io.signal)
  let echo: EchoServer
  try {
    echo = await startEchoServer({
      config: options.config,
      protocol: options.protocol,
      logFactory,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    })
  } catch (error) {
    return reportStartError(io, error)
  }
  io.stdout.write(echo.urls.map((url) => `listening ${url}\n`).join(''))
  if (echo.metricsUrl !== undefined) io.stdout.write(`metrics ${echo.metricsUrl}\n`)
  const started = performance.now()
  const reason = await stopSignal
  echo.server.logger.info('Stopping: sending the queued replies, then closing every session', { reason })
  await echo.stop()
  logStopped(echo.server.logger, echo.server.getStats(), performance.now() - started, logFactory.pretty)
  return exitCodes.ok
}
