/** Pass/fail limits of a run (the CLI's `--max-p99`, `--min-rate`, `--max-errors`). */
export interface Thresholds {
  /** Highest acceptable p99 latency, in ms. */
  readonly maxP99?: number | undefined
  /** Lowest acceptable throughput, in messages per second. */
  readonly minRate?: number | undefined
  /** Highest acceptable number of errors (all kinds together). */
  readonly maxErrors?: number | undefined
}

/** The name of a check: one per threshold, plus `messages` (a run must complete at least one message). */
export type ThresholdName = 'max-p99' | 'min-rate' | 'max-errors' | 'messages'

/** The outcome of one check. */
export interface ThresholdCheck {
  readonly name: ThresholdName
  /** The limit (ms for `max-p99`, msgs/s for `min-rate`, a count otherwise). */
  readonly limit: number
  /** The measured value, in the same unit. */
  readonly actual: number
  readonly passed: boolean
  /** One line for people, e.g. `p99 12.3 ms > 5 ms`. */
  readonly description: string
}

/** The measured values the checks look at. */
export interface ThresholdInput {
  readonly p99Ms: number
  readonly messagesPerSecond: number
  readonly errors: number
  readonly messages: number
}

/**
 * Evaluates the thresholds. Always includes the `messages` check (at least one message must complete: a run that
 * measured nothing cannot pass).
 *
 * @param input - the measured values
 * @param thresholds - the limits
 * @returns one check per given threshold, then `messages`
 */
export function evaluateThresholds(input: ThresholdInput, thresholds: Thresholds): ThresholdCheck[] {
  const checks: ThresholdCheck[] = []
  if (thresholds.maxP99 !== undefined) {
    const passed = input.messages > 0 && input.p99Ms <= thresholds.maxP99
    checks.push({
      name: 'max-p99',
      limit: thresholds.maxP99,
      actual: input.p99Ms,
      passed,
      description: `p99 ${input.p99Ms} ms ${passed ? '<=' : '>'} ${thresholds.maxP99} ms`,
    })
  }
  if (thresholds.minRate !== undefined) {
    const passed = input.messagesPerSecond >= thresholds.minRate
    checks.push({
      name: 'min-rate',
      limit: thresholds.minRate,
      actual: input.messagesPerSecond,
      passed,
      description: `${input.messagesPerSecond} msgs/s ${passed ? '>=' : '<'} ${thresholds.minRate} msgs/s`,
    })
  }
  if (thresholds.maxErrors !== undefined) {
    const passed = input.errors <= thresholds.maxErrors
    checks.push({
      name: 'max-errors',
      limit: thresholds.maxErrors,
      actual: input.errors,
      passed,
      description: `${input.errors} errors ${passed ? '<=' : '>'} ${thresholds.maxErrors}`,
    })
  }
  const completed = input.messages > 0
  checks.push({
    name: 'messages',
    limit: 1,
    actual: input.messages,
    passed: completed,
    description: completed ? `${input.messages} messages completed` : 'no message completed',
  })
  return checks
}
