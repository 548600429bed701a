import type { LogFields, Logger } from '@socketlite/socket-base'

/** Options of {@link RefusalSummary}. */
export interface RefusalSummaryInit {
  /** Where the lines go. */
  logger: Logger
  /**
   * At most one line per kind this often (ms): the first refusal of a kind is logged at once, the ones that follow
   * within this time are counted and logged as one summary line when it ends.
   * @default 10000
   */
  interval?: number
  /**
   * How many distinct sources (`fields.remote`) a summary counts; past this it says "at least".
   * @default 1000
   */
  maxSources?: number
}

/** Log level of a kind of refusal. */
export type RefusalLevel = 'info' | 'warn'

/** One kind of refusal while its window is open. */
interface Window {
  readonly level: RefusalLevel
  /** Refusals since the last line. */
  count: number
  /** Distinct `remote` values since the last line (bounded by `maxSources`). */
  readonly sources: Set<string>
  /** More distinct sources were seen than `sources` holds. */
  sourcesOverflowed: boolean
  /** The fields of the latest refusal. */
  last: LogFields | undefined
  /** When the current period began (`performance.now()`). */
  since: number
  readonly timer: NodeJS.Timeout
}

/**
 * Logs repeated refusals (connections over a limit, bad datagrams, failed handshakes) as periodic summaries with
 * counts instead of a line each, so that a flood, or spoofed UDP sources, cannot turn into a flood of log lines:
 *
 * - the first refusal of a kind is logged at once, as is (so the first one is always seen);
 * - the following ones, for `interval` ms (10 s), are only counted; when the time is up one line says how many there
 *   were, from how many distinct sources (`fields.remote`), with the fields of the latest, and a new period begins;
 * - a period with no refusal ends the kind's summary: its next refusal is logged at once again.
 *
 * So each kind writes at most one line per `interval`. Each kind in its period holds one timer, unref'd: it never
 * keeps the process alive. {@link RefusalSummary.flush} writes what is counted now (call it when the server stops).
 *
 * @example
 * ```ts
 * const refusals = new RefusalSummary({ logger })
 * refusals.refuse('Connection refused: limit reached', { remote: '203.0.113.9:51000', limit: 'maxConnectionNumber' })
 * // at once: WARN Connection refused: limit reached remote=203.0.113.9:51000 limit=maxConnectionNumber
 * // ... 500 more in the next 10 s, from 40 addresses:
 * // WARN Connection refused: limit reached (500 more in the last 10 s, from 40 sources; the latest:) remote=... count=500 sources=40
 * await server.stop(); refusals.flush()
 * ```
 */
export class RefusalSummary {
  readonly #logger: Logger
  readonly #interval: number
  readonly #maxSources: number
  readonly #windows = new Map<string, Window>()

  constructor(init: RefusalSummaryInit) {
    this.#logger = init.logger
    this.#interval = init.interval ?? 10_000
    this.#maxSources = init.maxSources ?? 1_000
  }

  /** Kinds with refusals counted and not logged yet. */
  get pendingKinds(): number {
    let pending = 0
    for (const window of this.#windows.values()) if (window.count > 0) pending += 1
    return pending
  }

  /**
   * One refusal of `kind` (the message of its log line; keep it constant, put what varies in `fields`). A `remote`
   * string field is counted as its source. The level is the one of the kind's first refusal.
   */
  refuse(kind: string, fields?: LogFields, level: RefusalLevel = 'warn'): void {
    const window = this.#windows.get(kind)
    if (window === undefined) {
      this.#write(level, kind, fields)
      const timer = setTimeout(() => this.#periodEnded(kind), this.#interval)
      timer.unref()
      this.#windows.set(kind, {
        level,
        count: 0,
        sources: new Set(),
        sourcesOverflowed: false,
        last: undefined,
        since: performance.now(),
        timer,
      })
      return
    }
    window.count += 1
    window.last = fields
    const remote = fields?.remote
    if (typeof remote === 'string' && !window.sources.has(remote)) {
      if (window.sources.size < this.#maxSources) window.sources.add(remote)
      else window.sourcesOverflowed = true
    }
  }

  /** Log every count now and close every period (the next refusal of each kind is logged at once). */
  flush(): void {
    for (const [kind, window] of this.#windows) {
      clearTimeout(window.timer)
      this.#summarize(kind, window)
    }
    this.#windows.clear()
  }

  #periodEnded(kind: string): void {
    const window = this.#windows.get(kind)
    if (window === undefined) return
    if (window.count === 0) {
      this.#windows.delete(kind)
      return
    }
    this.#summarize(kind, window)
    window.count = 0
    window.sources.clear()
    window.sourcesOverflowed = false
    window.last = undefined
    window.since = performance.now()
    window.timer.refresh()
  }

  #summarize(kind: string, window: Window): void {
    if (window.count === 0) return
    const sources = window.sources.size
    const seconds = Math.round((performance.now() - window.since) / 100) / 10
    const from =
      sources === 0
        ? ''
        : `, from ${window.sourcesOverflowed ? 'at least ' : ''}${sources} source${sources === 1 ? '' : 's'}`
    const message = `${kind} (${window.count} more in the last ${seconds} s${from}; the latest:)`
    this.#write(window.level, message, {
      ...window.last,
      count: window.count,
      ...(sources === 0 ? {} : { sources: window.sourcesOverflowed ? `>=${sources}` : sources }),
    })
  }

  #write(level: RefusalLevel, message: string, fields: LogFields | undefined): void {
    try {
      if (level === 'warn') this.#logger.warn(message, fields)
      else this.#logger.info(message, fields)
    } catch {
      // A logger that throws must not turn a refusal into a crash of the accept path.
    }
  }
}
