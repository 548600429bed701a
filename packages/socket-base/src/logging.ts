import { InvalidArgumentError } from './errors.js'

/** Log levels, lowest first. `silent` turns a logger off. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Structured fields attached to one log line (`err` for an error). */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * The logger socketlite writes to. Adapt pino, winston or anything else with a few lines;
 * {@link ConsoleLogFactory} is the built-in one.
 */
export interface Logger {
  /** True when a line at `level` would be written; check it before building an expensive message. */
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/** Makes named loggers; the server's logger is named after `config.name`. */
export interface LogFactory {
  getLogger(name: string): Logger
}

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** Where {@link ConsoleLogFactory} writes: anything with `error(line)`, the global `console` by default. */
export interface ConsoleLike {
  error(line: string): void
}

/** Options of {@link ConsoleLogFactory}. */
export interface ConsoleLogFactoryInit {
  /**
   * Lowest level written.
   * @default 'info'
   */
  level?: LogLevel
  /**
   * Where lines go. Every level is written to standard error so that standard output stays free for the program.
   * @default globalThis.console
   */
  console?: ConsoleLike
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return ''
  const parts: string[] = []
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code
      parts.push(`${key}=${value.name}${typeof code === 'string' ? `[${code}]` : ''}: ${value.message}`)
    } else if (typeof value === 'string') parts.push(`${key}=${value}`)
    else {
      let text: string
      try {
        text = JSON.stringify(value) ?? String(value)
      } catch {
        text = String(value)
      }
      parts.push(`${key}=${text}`)
    }
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`
}

class ConsoleLogger implements Logger {
  readonly #name: string
  readonly #rank: number
  readonly #console: ConsoleLike

  constructor(name: string, rank: number, sink: ConsoleLike) {
    this.#name = name
    this.#rank = rank
    this.#console = sink
  }

  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return levelRank[level] >= this.#rank
  }

  #write(level: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields | undefined): void {
    if (levelRank[level] < this.#rank) return
    this.#console.error(
      `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.#name}: ${message}${formatFields(fields)}`,
    )
  }

  debug(message: string, fields?: LogFields): void {
    this.#write('debug', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.#write('info', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.#write('warn', message, fields)
  }
  error(message: string, fields?: LogFields): void {
    this.#write('error', message, fields)
  }
}

/**
 * The default log factory: one line per message on standard error,
 * `2026-01-01T00:00:00.000Z INFO  name: message key=value`.
 */
export class ConsoleLogFactory implements LogFactory {
  readonly #rank: number
  readonly #console: ConsoleLike

  /** @throws {InvalidArgumentError} `level` is not one of the {@link LogLevel} names. */
  constructor(init: ConsoleLogFactoryInit = {}) {
    const level = init.level ?? 'info'
    if (!Object.hasOwn(levelRank, level)) {
      // An unknown level (e.g. 'warning' from a JSON config) would otherwise silently log everything.
      throw new InvalidArgumentError(
        `Unknown log level ${JSON.stringify(level)}; use debug, info, warn, error or silent`,
      )
    }
    this.#rank = levelRank[level]
    this.#console = init.console ?? (globalThis as unknown as { console: ConsoleLike }).console
  }

  getLogger(name: string): Logger {
    return new ConsoleLogger(name, this.#rank, this.#console)
  }
}

/** A log factory whose loggers write nothing (for tests and embedding). */
export const silentLogFactory: LogFactory = new ConsoleLogFactory({ level: 'silent', console: { error() {} } })
