import cliProgress from 'cli-progress'
import type { LoadProgress } from './load-report.js'

/** A live progress line on a terminal. */
export interface ProgressDisplay {
  /** Shows the latest progress. */
  update(progress: LoadProgress): void
  /** Removes the progress line (before the final report is printed). */
  stop(): void
}

const phaseLabels: Readonly<Record<LoadProgress['phase'], string>> = {
  connecting: 'connecting',
  warmup: 'warm-up (not measured)',
  running: 'measuring',
  done: 'done',
}

/**
 * A progress bar on `stream` (stderr by default, so stdout stays clean for the report), one phase after the other:
 * while connecting the bar counts open connections; during the warm-up and the measurement it counts that phase's
 * time, with the msgs/s of its last second and its p99 so far ("-" until there is one), its errors and the open
 * connections. The warm-up's figures are shown as such and never reported. Redrawn at most 4 times a second.
 *
 * @param stream - a TTY stream
 */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} |{bar}| {done} | {rate} msgs/s | p99 {p99} | errors {errors} | conns {open}/{connections}',
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
      const connecting = progress.phase === 'connecting'
      const total = connecting ? progress.connections : Math.max(1, progress.durationMs)
      const value = connecting ? progress.open : progress.elapsedMs
      const payload = {
        phase: phaseLabels[progress.phase].padEnd(22),
        done: connecting
          ? `${progress.open}/${progress.connections} open`
          : `${(progress.elapsedMs / 1000).toFixed(1)}/${(progress.durationMs / 1000).toFixed(1)} s`,
        rate:
          connecting || progress.messagesPerSecond === null
            ? '-'
            : Math.round(progress.messagesPerSecond).toLocaleString('en-US'),
        p99: progress.p99Ms === null ? '-' : `${progress.p99Ms.toFixed(3)} ms`,
        errors: progress.errors,
        open: progress.open,
        connections: progress.connections,
      }
      if (!started) {
        bar.start(total, value, payload)
        started = true
      } else {
        bar.setTotal(total)
        bar.update(value, payload)
      }
    },
    stop() {
      if (started) bar.stop()
      started = false
    },
  }
}
