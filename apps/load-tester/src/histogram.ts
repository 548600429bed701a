import * as hdr from 'hdr-histogram-js'

/** A latency summary in milliseconds (values recorded in microseconds, so 0.001 ms precision). */
export interface LatencySummary {
  /** Number of values. */
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly stdev: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p99_9: number
  readonly p99_99: number
  readonly max: number
}

/**
 * The percentiles {@link percentileSpectrum} reports: log-spaced towards 100 (four points per halving of the
 * remaining tail, as HdrHistogram's percentile plots), from 0 to 99.999, then 100.
 */
export const spectrumPercentiles: readonly number[] = [
  ...Array.from({ length: 67 }, (_, step) => Math.round(100 * (1 - 2 ** (-step / 4)) * 10_000) / 10_000),
  100,
]

/**
 * A fresh histogram for microsecond values (1 µs to about an hour, 3 significant digits, auto-resizing).
 */
export function createHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  })
}

/**
 * Serialises a histogram (compressed base64, the HdrHistogram interchange format) to send between threads or to
 * store in a report.
 *
 * @param histogram - the histogram
 */
export function encodeHistogram(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram)
}

/**
 * Reads a histogram written by {@link encodeHistogram}.
 *
 * @param encoded - compressed base64
 */
export function decodeHistogram(encoded: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false)
}

/**
 * Adds histograms together (how the results of several workers combine: counts add).
 *
 * @param parts - histograms or their encoded form
 * @returns a new histogram
 */
export function mergeHistograms(parts: Iterable<hdr.Histogram | string>): hdr.Histogram {
  const merged = createHistogram()
  for (const part of parts) {
    if (typeof part === 'string') {
      if (part === '') continue
      const decoded = decodeHistogram(part)
      merged.add(decoded)
      decoded.destroy()
    } else {
      merged.add(part)
    }
  }
  return merged
}

/**
 * Summarises a microsecond histogram in milliseconds.
 *
 * @param histogram - values in microseconds
 */
export function summarizeHistogram(histogram: hdr.Histogram): LatencySummary {
  const count = histogram.totalCount
  const ms = (value: number): number => (count === 0 ? 0 : round3(value / 1000))
  return {
    count,
    min: ms(histogram.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : histogram.minNonZeroValue),
    mean: ms(histogram.mean),
    stdev: ms(histogram.stdDeviation),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p99_9: ms(histogram.getValueAtPercentile(99.9)),
    p99_99: ms(histogram.getValueAtPercentile(99.99)),
    max: ms(histogram.maxValue),
  }
}

/**
 * The latency at each of {@link spectrumPercentiles}, in milliseconds (for the HTML chart and `--json`).
 *
 * @param histogram - values in microseconds
 */
export function percentileSpectrum(histogram: hdr.Histogram): { percentile: number; ms: number }[] {
  if (histogram.totalCount === 0) return []
  return spectrumPercentiles.map((percentile) => ({
    percentile,
    ms: round3(histogram.getValueAtPercentile(percentile) / 1000),
  }))
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000
}
