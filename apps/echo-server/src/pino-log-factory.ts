import { createRequire } from 'node:module'
import { InvalidArgumentError, type LogFactory, type Logger, type LogLevel } from '@socketlite/app-server'
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'
import type PinoPretty from 'pino-pretty'

/** Options of {@link PinoLogFactory}. */
export interface PinoLogFactoryInit {
  /**
   * Lowest level written (`silent` writes nothing).
   * @default 'info'
   */
  level?: LogLevel
  /**
   * Human-readable lines (pino-pretty, written synchronously, no worker thread) instead of one JSON object a line.
   * @default true when `destination` is a TTY
   */
  pretty?: boolean
  /**
   * Where lines go: a file descriptor or a writable stream. Standard error by default, so that standard output
   * stays free for the `listening` lines.
   * @default 2
   */
  destination?: number | NodeJS.WritableStream
  /** Fields added to every line (e.g. `{ worker: 2 }` in a cluster worker). */
  bindings?: Readonly<Record<string, unknown>>
}

/** pino-pretty, loaded only when pretty output is asked for (it is CommonJS, so `require` keeps this synchronous). */
function prettyStream(options: PinoPretty.PrettyOptions): DestinationStream {
  const build = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty
  return build(options)
}

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

/** A socketlite {@link Logger} over one pino logger. */
class PinoAdapter implements Logger {
  readonly #pino: PinoLogger

  constructor(logger: PinoLogger) {
    this.#pino = logger
  }

  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return this.#pino.isLevelEnabled(level)
  }

  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (fields === undefined) this.#pino.debug(message)
    else this.#pino.debug(fields, message)
  }

  info(message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (fields === undefined) this.#pino.info(message)
    else this.#pino.info(fields, message)
  }

  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (fields === undefined) this.#pino.warn(message)
    else this.#pino.warn(fields, message)
  }

  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (fields === undefined) this.#pino.error(message)
    else this.#pino.error(fields, message)
  }
}

function isTty(destination: number | NodeJS.WritableStream): boolean {
  if (typeof destination === 'number') return destination === 2 ? process.stderr.isTTY === true : false
  return (destination as { isTTY?: boolean }).isTTY === true
}

/**
 * socketlite's {@link LogFactory} over pino: JSON lines (pino's format, `err` serialized with its stack and `code`)
 * or, on a terminal, human-readable lines from pino-pretty. Both are written synchronously, so nothing is lost when
 * the process exits right after a line.
 *
 * @example
 * ```ts
 * const logFactory = new PinoLogFactory({ level: 'debug' })
 * new AppServer({ config: { port: 0 }, logFactory })
 * logFactory.getLogger('echo').info('started', { port: 7000 })
 * ```
 */
export class PinoLogFactory implements LogFactory {
  /** The root pino logger (each {@link PinoLogFactory.getLogger} is a child of it). */
  readonly pino: PinoLogger
  /** Whether lines are pretty-printed for people (pino-pretty) rather than JSON. */
  readonly pretty: boolean

  /** @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an unknown `level`. */
  constructor(init: PinoLogFactoryInit = {}) {
    const level = init.level ?? 'info'
    if (!levels.includes(level)) {
      throw new InvalidArgumentError(`Unknown log level ${JSON.stringify(level)}; use ${levels.join(', ')}`)
    }
    const destination = init.destination ?? 2
    const pretty = init.pretty ?? isTty(destination)
    this.pretty = pretty
    let stream: DestinationStream
    if (pretty) {
      stream = prettyStream({
        destination,
        sync: true,
        colorize: isTty(destination),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    } else if (typeof destination === 'number') {
      stream = pino.destination({ dest: destination, sync: true })
    } else {
      stream = destination as DestinationStream
    }
    this.pino = pino({ level, base: { pid: process.pid, ...init.bindings } }, stream)
  }

  /** A logger whose lines carry `name`. */
  getLogger(name: string): Logger {
    return new PinoAdapter(this.pino.child({ name }))
  }
}
