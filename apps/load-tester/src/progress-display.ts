import cliProgress from 'cli-progress'
import type { LoadProgress } from './load-report.js'

/** A live progress line on a terminal. */
export interface ProgressDisplay {
  /** Shows the latest progress. */
  update(progress: LoadProgress): void
  /** Removes the progress line (before the final report is printed). */
  stop(): void
}

/**
 * A progress bar on `stream` (stderr by default, so stdout stays clean for the report): phase, elapsed / duration,
 * msgs/s of the last second, p99 so far, errors and open connections. Redrawn at most 4 times a second.
 *
 * @param stream - a TTY stream
 */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        '{phase} |{bar}| {elapsed}/{total_s} s | {rate} msgs/s | p99 {p99} ms | errors {errors} | conns {open}/{connections}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      fps: 4,
      etaBuffer: 1,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(progress) {
      const payload = {
        phase: progress.phase.padEnd(10),
        elapsed: (progress.elapsedMs / 1000).toFixed(1),
        total_s: (progress.durationMs / 1000).toFixed(1),
        rate: Math.round(progress.messagesPerSecond).toLocaleString('en-US'),
        p99: progress.p99Ms.toFixed(3),
        errors: progress.errors,
        open: progress.open,
        connections: progress.connections,
      }
      if (!started) {
        bar.start(progress.durationMs, progress.elapsedMs, payload)
        started = true
      } else {
        bar.update(progress.elapsedMs, payload)
      }
    },
    stop() {
      if (started) bar.stop()
      started = false
    },
  }
}
