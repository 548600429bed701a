import type { ResolvedServerConfig } from '@socketlite/socket-base'
import { clock, kDeadlines } from './internal.js'

/** What the sweep reads of a session. */
interface DeadlineSession {
  [kDeadlines](now: number): void
}

/** The sweep runs at most this often (ms), and at least once a second. */
const minInterval = 10
const maxInterval = 1_000

/**
 * The per-session deadlines that need a clock, `handlerTimeOut` and `frameTimeOut`, checked by one timer for all
 * sessions instead of a timer per handler or frame (a hot path arms neither): every tenth of the shorter deadline
 * (between 10 ms and 1 s), each session compares its running handler's and its partial frame's age against them.
 * So a deadline acts at most a tenth of itself (and at most a second) late. Off when both are `0`. The timer does
 * not keep the process alive.
 */
export class DeadlineSweep {
  readonly #sessions: () => Iterable<DeadlineSession>
  readonly #interval: number
  #timer: NodeJS.Timeout | undefined

  constructor(config: ResolvedServerConfig, sessions: () => Iterable<DeadlineSession>) {
    this.#sessions = sessions
    const deadlines = [config.handlerTimeOut, config.frameTimeOut].filter((value) => value > 0)
    this.#interval =
      deadlines.length === 0 ? 0 : Math.min(maxInterval, Math.max(minInterval, Math.floor(Math.min(...deadlines) / 10)))
  }

  /** Start checking (unless both deadlines are off). */
  start(): void {
    if (this.#interval === 0 || this.#timer !== undefined) return
    this.#timer = setInterval(() => this.#sweep(), this.#interval)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #sweep(): void {
    const now = clock()
    for (const session of this.#sessions()) session[kDeadlines](now)
  }
}
