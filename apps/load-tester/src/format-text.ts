import { formatDuration } from './duration.js'
import { errorKindLabel, errorKinds } from './error-kinds.js'
import type { LatencySummary } from './histogram.js'
import type { LoadReport } from './load-report.js'

/**
 * The human report: configuration line, throughput, latency and connect-time percentiles, errors by kind, the
 * tester's CPU use (with a warning when the tester itself may have been the bottleneck) and threshold results.
 *
 * @param report - a report from `runLoad`
 * @returns text ending with a newline
 */
export function formatReportText(report: LoadReport): string {
  const { config, results, errors, cpu } = report
  const lines: string[] = []
  const model =
    config.model === 'closed'
      ? `closed model, pipeline ${config.pipeline}`
      : `open model, ${integer(config.rate ?? 0)} msgs/s target`
  const mode =
    config.mode === 'request-reply'
      ? `  request/reply, expecting ${config.expect}`
      : config.verify
        ? ''
        : '  echo NOT verified (--no-verify)'
  lines.push(
    `socketlite-load ${config.target}  ${config.protocol}, ${config.messageBytes}-byte messages` +
      (config.protocol === 'raw' ? '' : ` (${config.payloadBytes}-byte payload)`) +
      mode,
    `  ${config.connections} connections · ${model} · ${formatDuration(results.durationMs)} measured` +
      (config.warmupMs > 0 ? ` after ${formatDuration(config.warmupMs)} warm-up` : '') +
      ` · ${config.workers} worker${config.workers === 1 ? '' : 's'}` +
      (report.aborted ? ' · STOPPED EARLY' : ''),
    '',
  )
  const achieved =
    results.rateAchieved === null ? '' : `  (${(results.rateAchieved * 100).toFixed(1)}% of the target rate)`
  lines.push(
    ...table([
      [
        'throughput',
        `${integer(results.messagesPerSecond)} msgs/s`,
        `${fixed(results.mibPerSecondIn)} MiB/s in`,
        `${fixed(results.mibPerSecondOut)} MiB/s out`,
      ],
    ]).map((line) => line + achieved),
    `  messages    ${messageLines(report).join('\n              ')}`,
    '',
  )
  lines.push(
    ...table([
      ['(ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'stdev'],
      ['latency', ...percentiles(results.latencyMs)],
      ['connect', ...percentiles(results.connectMs)],
    ]),
    `  connections ${results.connections.openAtEnd}/${results.connections.requested} open at the end, ` +
      `${integer(results.connections.connects)} connects in total`,
    '',
  )
  lines.push(
    `  errors      ${errorKinds.map((kind) => `${errorKindLabel(kind)} ${integer(errors[kind])}`).join(' · ')}` +
      `  (total ${integer(errors.total)})`,
  )
  for (const kind of errorKinds) {
    const detail = report.errorDetails[kind]
    if (detail !== undefined) lines.push(`              first ${errorKindLabel(kind)}: ${detail}`)
  }
  lines.push(
    '',
    `  tester CPU  ${fixed(cpu.processPercent, 1)}% of one core (user ${formatDuration(cpu.userMs)}, ` +
      `system ${formatDuration(cpu.systemMs)} over ${formatDuration(cpu.wallMs)}; ${cpu.cores} cores)`,
  )
  for (const worker of cpu.workers) {
    lines.push(
      `              worker ${worker.worker}: ${worker.connections} connections, ` +
        (worker.cpuPercent === null ? 'CPU n/a' : `CPU ${fixed(worker.cpuPercent, 1)}%`) +
        `, event loop busy ${fixed(worker.eventLoopUtilization * 100, 0)}%`,
    )
  }
  if (cpu.testerBound) {
    lines.push(
      '  WARNING: the tester may be the bottleneck (a load thread was busy 90% of the time or more);' +
        (cpu.cores > config.workers ? ' try --workers with more threads, or' : '') +
        ' read these numbers as a lower bound for the server',
    )
  }
  const checks = report.thresholds.checks.filter((check) => check.name !== 'messages' || !check.passed)
  if (checks.length > 0) {
    lines.push('')
    for (const check of checks) lines.push(`  ${check.passed ? 'pass' : 'FAIL'}  ${check.name}: ${check.description}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * What was sent and answered, worded so that the numbers add up: answers of the measurement may belong to messages
 * sent before it (in flight when it started), and messages sent near its end may still be in flight when it stops.
 *
 * @returns one or two lines
 */
export function messageLines(report: LoadReport): string[] {
  const { results, config } = report
  const answered =
    config.mode === 'request-reply' ? 'replies accepted' : config.verify ? 'echoes verified' : 'echoes (not verified)'
  const lines = [
    `${integer(results.sent)} sent, ${integer(results.messages)} ${answered}` +
      (results.late > 0 ? `, ${integer(results.late)} late answers` : ''),
  ]
  const inFlight: string[] = []
  if (results.inFlightAtStart > 0) inFlight.push(`${integer(results.inFlightAtStart)} when the measurement started`)
  if (results.inFlightAtEnd > 0) inFlight.push(`${integer(results.inFlightAtEnd)} when it stopped`)
  if (inFlight.length > 0) lines.push(`in flight (sent, not yet answered): ${inFlight.join(', ')}`)
  return lines
}

function percentiles(summary: LatencySummary): string[] {
  if (summary.count === 0) return ['-', '-', '-', '-', '-', '-', '-']
  return [summary.p50, summary.p90, summary.p99, summary.p99_9, summary.max, summary.mean, summary.stdev].map((value) =>
    fixed(value, 3),
  )
}

function table(rows: string[][]): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length)
    })
  }
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(Math.max(10, widths[0] ?? 0)) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')}`,
  )
}

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits)
}
