import { CloseReason, type Logger, type ResolvedServerConfig } from '@socketlite/socket-base'
import { clock, kDeadlines, kLastActive } from './internal.js'

/**
 * Calls `visit` with every session (`(visit) => sessions.forEach(visit)` over a Map: no iterator result per session,
 * which a sweep's first, unoptimised runs over thousands of sessions would allocate).
 */
export type EachSession<TSession> = (visit: (session: TSession) => void) => void

/**
 * A timer that visits every session with a `clock()` reading, for the checks that need a clock but must not arm a
 * timer per session or per request. The timer does not keep the process alive. Off when its interval is 0.
 */
export class SessionSweep<TSession> {
  readonly #interval: number
  readonly #eachSession: EachSession<TSession>
  readonly #visit: (session: TSession, now: number) => void
  #timer: NodeJS.Timeout | undefined

  constructor(interval: number, eachSession: EachSession<TSession>, visit: (session: TSession, now: number) => void) {
    this.#interval = interval
    this.#eachSession = eachSession
    this.#visit = visit
  }

  start(): void {
    if (this.#interval === 0 || this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      const now = clock()
      const visit = this.#visit
      this.#eachSession((session) => visit(session, now))
    }, this.#interval)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** What the idle sweep reads of a session. */
interface IdleSession {
  readonly sessionId: string
  readonly connected: boolean
  readonly [kLastActive]: number
  close(reason: CloseReason): Promise<void>
}

/**
 * Idle clearing (`clearIdleSession`): every `clearIdleSessionInterval` seconds, the sessions that received nothing for
 * `idleSessionTimeOut` seconds are closed with `TimeOut`. Sends do not count as activity.
 */
export function idleSweep<TSession extends IdleSession>(
  config: ResolvedServerConfig,
  logger: Logger,
  sessions: EachSession<TSession>,
): SessionSweep<TSession> {
  const idleFor = config.idleSessionTimeOut * 1000
  const interval = config.clearIdleSession ? config.clearIdleSessionInterval * 1000 : 0
  return new SessionSweep(interval, sessions, (session, now) => {
    if (!session.connected || session[kLastActive] > now - idleFor) return
    if (config.logBasicSessionActivity) logger.info('Closing an idle session', { sessionId: session.sessionId })
    void session.close(CloseReason.TimeOut)
  })
}

/** What the deadline sweep reads of a session. */
interface DeadlineSession {
  [kDeadlines](now: number): void
}

/** The deadline sweep runs at most this often (ms), and at least once a second. */
const minInterval = 10
const maxInterval = 1_000

/**
 * The per-session deadlines `handlerTimeOut` and `frameTimeOut`: every tenth of the shorter one (between 10 ms and
 * 1 s), each session compares its running handler's and its partial frame's age against them. So a deadline acts at
 * most a tenth of itself (and at most a second) late. Off when both are `0`.
 */
export function deadlineSweep<TSession extends DeadlineSession>(
  config: ResolvedServerConfig,
  sessions: EachSession<TSession>,
): SessionSweep<TSession> {
  const deadlines = [config.handlerTimeOut, config.frameTimeOut].filter((value) => value > 0)
  const interval =
    deadlines.length === 0 ? 0 : Math.min(maxInterval, Math.max(minInterval, Math.floor(Math.min(...deadlines) / 10)))
  return new SessionSweep(interval, sessions, (session, now) => session[kDeadlines](now))
}
