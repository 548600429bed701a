import { CloseReason, type Logger, type ResolvedServerConfig } from '@socketlite/socket-base'
import { clock, kLastActive } from './internal.js'

/** What the sweep reads of a session. */
interface IdleSession {
  readonly sessionId: string
  readonly connected: boolean
  readonly [kLastActive]: number
  close(reason: CloseReason): Promise<void>
}

/**
 * Idle clearing (`clearIdleSession`): every `clearIdleSessionInterval` seconds, the sessions that received nothing for
 * `idleSessionTimeOut` seconds are closed with `TimeOut`. Sends do not count as activity. The timer does not keep the
 * process alive.
 */
export class IdleSweep {
  readonly #config: ResolvedServerConfig
  readonly #logger: Logger
  readonly #sessions: () => Iterable<IdleSession>
  #timer: NodeJS.Timeout | undefined

  constructor(config: ResolvedServerConfig, logger: Logger, sessions: () => Iterable<IdleSession>) {
    this.#config = config
    this.#logger = logger
    this.#sessions = sessions
  }

  /** Start sweeping (when `clearIdleSession` is on). */
  start(): void {
    if (!this.#config.clearIdleSession || this.#timer !== undefined) return
    this.#timer = setInterval(() => this.#sweep(), this.#config.clearIdleSessionInterval * 1000)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #sweep(): void {
    const threshold = clock() - this.#config.idleSessionTimeOut * 1000
    for (const session of this.#sessions()) {
      if (session.connected && session[kLastActive] <= threshold) {
        if (this.#config.logBasicSessionActivity) {
          this.#logger.info('Closing an idle session', { sessionId: session.sessionId })
        }
        void session.close(CloseReason.TimeOut)
      }
    }
  }
}
