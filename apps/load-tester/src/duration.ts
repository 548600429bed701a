import { LoadOptionError } from './load-option-error.js'

const unitMs: Readonly<Record<string, number>> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/**
 * Parses a duration such as `10s`, `500ms`, `1.5s`, `1m`, `2h` or `250us` into milliseconds. A bare number means
 * seconds (as in wrk and autocannon).
 *
 * @param text - the duration as typed
 * @param option - the option name, for the error
 * @returns milliseconds (may be fractional for `us`)
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` for anything else, or a negative value
 */
export function parseDuration(text: string, option = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m|h)?\s*$/.exec(text)
  if (!match) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not a duration (examples: 10s, 500ms, 1m, 250us)`)
  }
  const value = Number(match[1])
  const unit = match[2] ?? 's'
  const factor = unitMs[unit] ?? 1000
  return value * factor
}

/**
 * Formats milliseconds for people: `850 ms`, `12.5 s`, `2 min 5 s`.
 *
 * @param ms - milliseconds
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${trim(ms)} ms`
  if (ms < 60_000) return `${trim(ms / 1000)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms - minutes * 60_000) / 1000)
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '')
}
