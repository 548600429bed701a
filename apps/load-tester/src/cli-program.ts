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
import { parseReplyPattern, type ReplyExpectation } from './reply-expectation.js'
import { runLoad } from './run-load.js'

/** Exit codes of `socketlite-load`. */
export const exitCodes = Object.freeze({
  /** The run completed and every threshold held. */
  ok: 0,
  /** A threshold was violated, or no message completed. */
  thresholdFailed: 1,
  /** Bad command line (unknown flag, bad value, bad target). */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT, 128 + 2): the partial report is printed, but the run did not pass. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15): the partial report is printed, but the run did not pass. */
  terminated: 143,
})

/** The prefix of every line the CLI writes about a problem (the same convention as `socketlite-echo`). */
const errorPrefix = 'socketlite-load: error: '

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
  expect?: ReplyExpectation
  expectMatch?: RegExp
  verify: boolean
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

/** An option whose default is only shown in `--help` (its parsed value stays undefined when not given). */
function shownDefault(option: Option, shown: string): Option {
  option.defaultValueDescription = shown
  return option
}

/**
 * Builds the commander program of `socketlite-load` (exported so tests can inspect the options).
 */
export function createProgram(): Command {
  const program = new Command('socketlite-load')
  program
    .description(
      'Load-test any TCP, TLS or UDP server: many connections, closed model (-p) or open model (-r), HDR latency percentiles. Echo servers get every echo verified byte for byte; any other server is driven in request/reply mode (--expect, --expect-match).',
    )
    .configureHelp({ optionDescription })
    .version(packageJson.version, '-v, --version')
    .argument('<target>', 'tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or HOST:PORT (tcp)')
    .addOption(
      new Option('-c, --connections <n>', 'concurrent connections (UDP: sockets)')
        .argParser(positiveInteger('connections'))
        .default(loadDefaults.connections),
    )
    .addOption(
      new Option('--connect-rate <n/s>', 'new connections per second, 0 = unlimited (also paces reconnects)')
        .argParser(parser((text) => parseCount(text, 'connect-rate')))
        .default(loadDefaults.connectRate),
    )
    .addOption(
      shownDefault(
        new Option('--connect-timeout <time>', 'connect + TLS handshake timeout').argParser(
          parser((text) => parseDuration(text, 'connect-timeout')),
        ),
        'the --timeout value',
      ),
    )
    .addOption(
      new Option('-d, --duration <time>', 'measured time: 10s, 500ms, 1m')
        .argParser(parser((text) => parseDuration(text, 'duration')))
        .default(loadDefaults.duration, '10s'),
    )
    .addOption(
      new Option('--warmup <time>', 'load applied before measuring, shown but not counted')
        .argParser(parser((text) => parseDuration(text, 'warmup')))
        .default(loadDefaults.warmup, '0s'),
    )
    .addOption(
      shownDefault(
        new Option('-p, --pipeline <depth>', 'closed model: messages in flight per connection').argParser(
          positiveInteger('pipeline'),
        ),
        String(loadDefaults.pipeline),
      ),
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
    .addOption(
      shownDefault(
        new Option(
          '-s, --size <bytes>',
          'random printable payload of this size; the block size of --protocol fixed-size',
        ).argParser(parser((text) => parseSize(text, 'size'))),
        String(loadDefaults.size),
      ),
    )
    .option(
      '--expect <reply>',
      'request/reply mode: each message expects one reply frame whose payload is exactly this (escapes allowed); "any" accepts every reply',
      parser(
        (text): ReplyExpectation =>
          text === 'any' ? { kind: 'any' } : { kind: 'exact', payload: parseEscapes(text, 'expect') },
      ),
    )
    .option(
      '--expect-match <regex>',
      'request/reply mode: each reply payload (as UTF-8) must match this regular expression (or /regex/flags)',
      parser(parseReplyPattern),
    )
    .option('--no-verify', 'echo mode: count the echoed bytes without comparing them (to measure the tester itself)')
    .addOption(
      new Option('--protocol <name>', 'framing, as socketlite-echo --protocol').choices(protocolNames).default('line'),
    )
    .addOption(
      shownDefault(
        new Option('--terminator <string>', 'terminator: frame end (escapes allowed)').argParser(
          parser((text) => parseEscapes(text, 'terminator')),
        ),
        '\\r\\n',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--length-field-length <n>', 'length-field: field width in bytes')
          .choices(['1', '2', '3', '4', '8'])
          .argParser((text) => {
            if (!['1', '2', '3', '4', '8'].includes(text.trim())) {
              throw new InvalidArgumentError('--length-field-length must be 1, 2, 3, 4 or 8')
            }
            return Number(text) as LengthFieldLength
          }),
        '4',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--length-field-offset <n>', 'length-field: bytes before the field (sent as zeros)').argParser(
          parser((text) => parseCount(text, 'length-field-offset', true)),
        ),
        '0',
      ),
    )
    .addOption(shownDefault(new Option('--byte-order <order>', 'length-field: byte order').choices(['be', 'le']), 'be'))
    .addOption(
      shownDefault(
        new Option(
          '--length-adjustment <n>',
          'length-field: field value + adjustment = bytes after the field',
        ).argParser(parser((text) => parseSignedInteger(text, 'length-adjustment'))),
        '0',
      ),
    )
    .addOption(
      shownDefault(
        new Option(
          '--initial-bytes-to-strip <n>',
          'length-field: accepted for parity with socketlite-echo (the server strips; the bytes sent are the same)',
        ).argParser(parser((text) => parseCount(text, 'initial-bytes-to-strip', true))),
        '0',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--begin-mark <string>', 'begin-end: begin mark (escapes allowed)').argParser(
          parser((text) => parseEscapes(text, 'begin-mark')),
        ),
        '!',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--end-mark <string>', 'begin-end: end mark (escapes allowed)').argParser(
          parser((text) => parseEscapes(text, 'end-mark')),
        ),
        '$',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--spliter <char>', 'count-spliter: spliter byte (escapes allowed)').argParser(
          parser((text) => parseEscapes(text, 'spliter')),
        ),
        '#',
      ),
    )
    .addOption(
      shownDefault(
        new Option('--count <n>', 'count-spliter: spliters per frame, at least 2').argParser(positiveInteger('count')),
        '8',
      ),
    )
    .option('--insecure', 'TLS: do not verify the server certificate (self-signed test servers)', false)
    .option('--ca <file>', 'TLS: trust this CA certificate (PEM) instead of the system store')
    .addOption(
      shownDefault(
        new Option('--servername <name>', 'TLS: server name for SNI and the certificate check'),
        'the target host',
      ),
    )
    .addOption(
      new Option('--timeout <time>', 'per-message timeout, counted as timeout errors')
        .argParser(parser((text) => parseDuration(text, 'timeout')))
        .default(loadDefaults.timeout, '5s'),
    )
    .addOption(
      new Option('--workers <n>', 'worker threads sharing the connections')
        .argParser(positiveInteger('workers'))
        .default(loadDefaults.workers),
    )
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
    .showHelpAfterError('(see socketlite-load --help)')
    .addHelpText(
      'after',
      `
Modes: echo mode (no --expect) checks that each message comes back byte for byte. With --expect or --expect-match
(or --expect any) each message expects one reply frame, framed with --protocol, checked against the expectation.
Exit codes: 0 ok, 1 a threshold failed (or no message completed), 2 usage error, 130 stopped by Ctrl-C
(SIGINT) and 143 by SIGTERM (the report of the time measured until then is still printed).

Examples:
  socketlite-load tcp://127.0.0.1:7000 -c 50 -p 16 -d 10s
  socketlite-load tcp://127.0.0.1:7000 -c 20 -r 20k -d 30s --max-p99 5ms
  socketlite-load tcp://127.0.0.1:6379 --protocol line -m PING --expect +PONG -c 100 -p 16
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
  if (flags.expect !== undefined && flags.expectMatch !== undefined) {
    throw new LoadOptionError('expect-match', '--expect and --expect-match exclude each other')
  }
  const expect: ReplyExpectation | undefined =
    flags.expectMatch === undefined ? flags.expect : { kind: 'match', pattern: flags.expectMatch }
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
    verify: flags.verify,
    insecure: flags.insecure,
    thresholds,
    ...(flags.connectTimeout === undefined ? {} : { connectTimeout: flags.connectTimeout }),
    ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
    ...(flags.rate === undefined ? {} : { rate: flags.rate }),
    ...(message === undefined ? {} : { message }),
    ...(expect === undefined ? {} : { expect }),
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
 * exit code. The first SIGINT (Ctrl-C) or SIGTERM stops the run early: the report of what was measured until then is
 * still printed, marked "STOPPED EARLY", and the exit code is 130 (SIGINT) or 143 (SIGTERM), never 0: a run cut
 * short did not pass. A second signal exits at once with the same code.
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
    // commander's own messages start with "error: "
    outputError: (text, write) => write(`socketlite-load: ${text}`),
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
    streams.stderr.write(`${errorPrefix}${message}\n(see socketlite-load --help)\n`)
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
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined
  const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
    const code = name === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated
    if (stoppedBy !== undefined) process.exit(code)
    stoppedBy = name
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
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
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  if (flags.json) streams.stdout.write(`${JSON.stringify(report)}\n`)
  else streams.stdout.write(formatReportText(report))
  if (flags.html !== undefined) {
    await writeFile(flags.html, formatReportHtml(report))
    if (!flags.json) streams.stdout.write(`\n  HTML report written to ${flags.html}\n`)
  }
  const failed = report.thresholds.checks.filter((check) => !check.passed)
  for (const check of failed) {
    streams.stderr.write(`socketlite-load: threshold failed: ${check.name}: ${check.description}\n`)
  }
  if (stoppedBy !== undefined) {
    streams.stderr.write(
      `${errorPrefix}stopped by ${stoppedBy} before the end of the run; the report covers the ` +
        `${(report.results.durationMs / 1000).toFixed(1)} s measured until then\n`,
    )
    return stoppedBy === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated
  }
  return failed.length === 0 ? exitCodes.ok : exitCodes.thresholdFailed
}
