import type { Logger, ServerStats } from '@socketlite/app-server'

const integer = (value: number): string => Math.round(value).toLocaleString('en-US')

/** `1 session`, `2 sessions`. */
const count = (value: number, noun: string): string => `${integer(value)} ${noun}${value === 1 ? '' : 's'}`

function bytes(value: number): string {
  if (value < 1024) return `${value} B`
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MiB`
  return `${(value / 1024 ** 3).toFixed(2)} GiB`
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/**
 * The server's statistics as one line for people: how long it ran, what it served, and only the counters that are
 * not zero among the ones that tell of trouble (rejections, refused sends, send timeouts, UDP drops).
 *
 * @example
 * ```ts
 * formatStopSummary(server.getStats(), 65_000)
 * // 'Stopped after 65.0 s: 12 sessions, 1,234,567 requests, 40.1 MiB in, 40.1 MiB out; closed: 12 ServerShutdown'
 * ```
 * @param stats - `server.getStats()` after the stop
 * @param uptimeMs - how long the server ran
 */
export function formatStopSummary(stats: ServerStats, uptimeMs: number): string {
  const parts = [
    count(stats.accepted, 'session'),
    count(stats.requests, 'request'),
    `${bytes(stats.bytesIn)} in`,
    `${bytes(stats.bytesOut)} out`,
  ]
  const closed = Object.entries(stats.closed)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${integer(count)} ${reason}`)
  const trouble: string[] = []
  if (stats.rejected.total > 0) {
    const causes = Object.entries(stats.rejected)
      .filter(([cause, count]) => cause !== 'total' && count > 0)
      .map(([cause, count]) => `${integer(count)} ${cause}`)
    trouble.push(`rejected ${integer(stats.rejected.total)} (${causes.join(', ')})`)
  }
  if (stats.trySendRefused > 0) trouble.push(`${count(stats.trySendRefused, 'send')} refused`)
  if (stats.sendTimeouts > 0) trouble.push(count(stats.sendTimeouts, 'send timeout'))
  if (stats.listenerErrors > 0) trouble.push(count(stats.listenerErrors, 'listener error'))
  if (stats.datagramsDropped > 0) trouble.push(`${count(stats.datagramsDropped, 'datagram')} dropped`)
  if (stats.datagramErrors > 0) trouble.push(count(stats.datagramErrors, 'bad datagram'))
  return (
    `Stopped after ${duration(uptimeMs)}: ${parts.join(', ')}` +
    (closed.length > 0 ? `; closed: ${closed.join(', ')}` : '') +
    (trouble.length > 0 ? `; ${trouble.join('; ')}` : '')
  )
}

/**
 * Logs the end of a run: one summary line at info level; the full statistics as fields of that line in JSON logs
 * (one line either way), and on a terminal (pretty logs, where every field would take a line of its own) at debug
 * level only.
 *
 * @param logger - the server's logger
 * @param stats - `server.getStats()` after the stop
 * @param uptimeMs - how long the server ran
 * @param pretty - whether the logs are pretty-printed for a terminal
 */
export function logStopped(logger: Logger, stats: ServerStats, uptimeMs: number, pretty: boolean): void {
  const summary = formatStopSummary(stats, uptimeMs)
  if (pretty) {
    logger.info(summary)
    logger.debug('Final statistics', { ...stats })
  } else {
    logger.info(summary, { ...stats })
  }
}
