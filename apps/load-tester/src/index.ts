/**
 * @packageDocumentation
 * socketlite-load as a library: drive any TCP, TLS or UDP server with many connections, in the closed model
 * (a pipeline depth per connection) or the open model (a fixed total rate, latency measured from each message's
 * intended send time), verify every echo byte for byte (echo mode) or check one reply frame per message against an
 * expectation (request/reply mode, `expect`), and get a report with HDR latency percentiles, connect times, errors by
 * kind and the tester's own CPU use.
 *
 * @example
 * ```ts
 * import { formatReportText, runLoad } from '@socketlite/load-tester'
 *
 * const report = await runLoad({
 *   target: 'tcp://127.0.0.1:7000',
 *   protocol: 'line',
 *   connections: 50,
 *   pipeline: 16,
 *   duration: 5_000,
 *   thresholds: { maxP99: 20, maxErrors: 0 },
 * })
 * console.log(formatReportText(report))
 * process.exitCode = report.thresholds.passed ? 0 : 1
 * ```
 */
export { formatDuration, parseDuration } from './duration.js'
export { type ErrorCounts, type ErrorKind, errorKindLabel, errorKinds, totalErrors } from './error-kinds.js'
export { formatEscapes, parseEscapes } from './escapes.js'
export { formatReportHtml } from './format-html.js'
export { formatReportText } from './format-text.js'
export {
  defaultFraming,
  encodeFrame,
  type Framing,
  type LengthFieldLength,
  type ProtocolName,
  protocolNames,
  reservedBytes,
  validateFraming,
} from './framing.js'
export {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type LatencySummary,
  mergeHistograms,
  percentileSpectrum,
  summarizeHistogram,
} from './histogram.js'
export { LatencyRecorder } from './latency-recorder.js'
export { LoadOptionError, type LoadOptionErrorCode } from './load-option-error.js'
export { type LoadOptions, loadDefaults, type ResolvedLoadOptions, resolveLoadOptions } from './load-options.js'
export type { LoadProgress, LoadReport, LoadSample, WorkerCpu } from './load-report.js'
export { buildMessagePattern, type MessagePattern, type MessagePatternInit } from './message-pattern.js'
export { parseCount, parseSignedInteger, parseSize } from './quantity.js'
export {
  describeReplyExpectation,
  maxReplyBytes,
  parseReplyPattern,
  type ReplyExpectation,
  type ResolvedReplyExpectation,
  resolveReplyExpectation,
} from './reply-expectation.js'
export { ReplyFormat, ReplyReader, type ReplySink } from './reply-reader.js'
export { runLoad, testerBoundLimit } from './run-load.js'
export { formatTarget, type LoadTarget, parseTarget, type Transport } from './target.js'
export {
  evaluateThresholds,
  type ThresholdCheck,
  type ThresholdInput,
  type ThresholdName,
  type Thresholds,
} from './thresholds.js'
