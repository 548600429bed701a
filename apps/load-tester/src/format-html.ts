import { formatDuration } from './duration.js'
import { errorKindLabel, errorKinds } from './error-kinds.js'
import { messageLines } from './format-text.js'
import type { LoadReport, LoadSample } from './load-report.js'

const width = 760
const height = 300
const margin = { left: 84, right: 20, top: 20, bottom: 56 }
const blue = '#2a6fdb'
const red = '#c0392b'

/**
 * A self-contained HTML page (no scripts, no external files) with the run's summary and three inline SVG charts,
 * each with titled, unit-labelled axes: latency by percentile (HdrHistogram style, log scale towards 100 %),
 * throughput per sample period, and p50/p99 per sample period. Per-period values are drawn as steps over the time
 * each period covered, so a shorter last period (a run stopped early) keeps its true width.
 *
 * @param report - a report from `runLoad`
 * @returns the HTML document
 */
export function formatReportHtml(report: LoadReport): string {
  const { config, results, errors, cpu } = report
  const title = `socketlite-load ${config.target}`
  const latency = results.latencyMs
  const warmup =
    config.warmupMs > 0 ? ` after a ${formatDuration(config.warmupMs)} warm-up (load applied, not measured)` : ''
  const rows: [string, string][] = [
    ['target', config.target],
    [
      'mode',
      config.mode === 'request-reply'
        ? `request/reply: one reply per message, expecting ${config.expect}`
        : config.verify
          ? 'echo: every byte of every echo verified'
          : 'echo, not verified (--no-verify)',
    ],
    ['protocol', `${config.protocol}, ${config.messageBytes}-byte messages`],
    ['model', config.model === 'closed' ? `closed, pipeline ${config.pipeline}` : `open, ${config.rate} msgs/s target`],
    ['connections', `${config.connections} (${config.workers} worker${config.workers === 1 ? '' : 's'})`],
    ['measured', `${formatDuration(results.durationMs)}${warmup}${report.aborted ? ' — STOPPED EARLY' : ''}`],
    ['throughput', `${Math.round(results.messagesPerSecond).toLocaleString('en-US')} msgs/s`],
    ['messages', messageLines(report).join('; ')],
    ['MiB/s in / out', `${results.mibPerSecondIn} / ${results.mibPerSecondOut}`],
    [
      'latency (ms)',
      results.latencyMs.count === 0
        ? 'no message completed'
        : `p50 ${latency.p50} · p90 ${latency.p90} · p99 ${latency.p99} · p99.9 ${latency.p99_9} · max ${latency.max} · mean ${latency.mean} · stdev ${latency.stdev}`,
    ],
    ['connect (ms)', `p50 ${results.connectMs.p50} · p99 ${results.connectMs.p99} · max ${results.connectMs.max}`],
    [
      'errors',
      `${errorKinds.map((kind) => `${errorKindLabel(kind)} ${errors[kind]}`).join(' · ')} (total ${errors.total})`,
    ],
    [
      'tester CPU',
      `${cpu.processPercent}% of one core${cpu.testerBound ? ' — the tester may have been the bottleneck' : ''}`,
    ],
    [
      'thresholds',
      report.thresholds.checks.map((check) => `${check.passed ? 'pass' : 'FAIL'} ${check.description}`).join('; '),
    ],
  ]
  const samples = results.samples
  const period = formatDuration(config.sampleIntervalMs)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
table { border-collapse: collapse; margin-bottom: 24px; }
td { padding: 2px 12px 2px 0; vertical-align: top; }
td:first-child { color: #666; white-space: nowrap; }
h2 { font-size: 16px; margin: 24px 0 4px; }
p.note { color: #666; margin: 0 0 6px; max-width: ${width}px; }
svg { background: #fafafa; border: 1px solid #ddd; }
svg text { font: 12px system-ui, sans-serif; fill: #444; }
svg text.axis { font-weight: 600; fill: #222; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(report.startedAt)} · node ${escapeHtml(report.versions.node)} · socketlite-load ${escapeHtml(report.versions.socketliteLoad)}${report.aborted ? ' · <strong>stopped early</strong>' : ''}</p>
<table>
${rows.map(([name, value]) => `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</table>
<h2>Latency by percentile</h2>
<p class="note">Each point: the latency that this share of the messages stayed under (HdrHistogram, microsecond values, 3 significant digits). The last point is the maximum.</p>
${spectrumChart(results.latencySpectrum)}
<h2>Throughput per ${escapeHtml(period)}</h2>
<p class="note">Messages answered and verified in each sample period of the measurement${warmup === '' ? '' : ' (the warm-up is not shown)'}.</p>
${stepChart(samples, [{ name: 'throughput', color: blue, value: (sample) => sample.messagesPerSecond }], 'messages per second')}
<h2>Latency per ${escapeHtml(period)}</h2>
<p class="note">p50 and p99 of the messages answered in each sample period.</p>
${stepChart(
  samples,
  [
    { name: 'p50', color: blue, value: (sample) => sample.p50Ms },
    { name: 'p99', color: red, value: (sample) => sample.p99Ms },
  ],
  'latency (ms)',
)}
</body>
</html>
`
}

interface Point {
  readonly x: number
  readonly y: number
}

interface Series {
  readonly name: string
  readonly color: string
  readonly points: readonly Point[]
}

interface Axes {
  readonly xMax: number
  readonly xTicks: readonly { x: number; label: string }[]
  readonly xTitle: string
  readonly yTitle: string
}

/** Latency against percentile, x = log10(1 / (1 − p)), the usual HdrHistogram plot. */
function spectrumChart(spectrum: readonly { percentile: number; ms: number }[]): string {
  const finite = spectrum.filter((entry) => entry.percentile < 100)
  const last = finite.at(-1)
  const maxEntry = spectrum.at(-1)
  if (last === undefined || maxEntry === undefined) return emptyChart('no latency recorded')
  const toX = (percentile: number): number => Math.log10(100 / (100 - percentile))
  const points: Point[] = finite.map((entry) => ({ x: toX(entry.percentile), y: entry.ms }))
  const xMax = Math.max(toX(last.percentile) + 0.25, 1)
  points.push({ x: xMax, y: maxEntry.ms })
  const ticks = [0, 90, 99, 99.9, 99.99, 99.999, 99.9999].filter((percentile) => toX(percentile) <= xMax)
  return svgChart([{ name: 'latency', color: red, points }], {
    xMax,
    xTicks: ticks.map((percentile) => ({ x: toX(percentile), label: `${percentile}%` })),
    xTitle: 'percentile (log scale towards 100%)',
    yTitle: 'latency (ms)',
  })
}

/** Per-period values as steps: each sample is a flat segment over the time it covered. */
function stepChart(
  samples: readonly LoadSample[],
  lines: readonly { name: string; color: string; value: (sample: LoadSample) => number }[],
  yTitle: string,
): string {
  if (samples.length === 0) return emptyChart('no samples (nothing was measured)')
  const series = lines.map((line) => ({
    name: line.name,
    color: line.color,
    points: samples.flatMap((sample) => [
      { x: sample.startMs / 1000, y: line.value(sample) },
      { x: (sample.startMs + sample.durationMs) / 1000, y: line.value(sample) },
    ]),
  }))
  const xMax = Math.max(...samples.map((sample) => (sample.startMs + sample.durationMs) / 1000), 0.001)
  const step = niceStep(xMax / 8)
  const xTicks: { x: number; label: string }[] = []
  for (let x = 0; x <= xMax + 1e-9; x += step) xTicks.push({ x, label: `${round(x)} s` })
  return svgChart(series, { xMax, xTicks, xTitle: 'time since the measurement started (s)', yTitle })
}

function svgChart(series: readonly Series[], axes: Axes): string {
  const yMaxRaw = Math.max(0, ...series.flatMap((line) => line.points.map((point) => point.y)))
  const yStep = niceStep((yMaxRaw || 1) / 5)
  const yMax = Math.ceil((yMaxRaw || 1) / yStep) * yStep
  const plotWidth = width - margin.left - margin.right
  const plotHeight = height - margin.top - margin.bottom
  const sx = (x: number): number => margin.left + (x / axes.xMax) * plotWidth
  const sy = (y: number): number => margin.top + plotHeight - (y / yMax) * plotHeight
  const path = (points: readonly Point[]): string =>
    points
      .map((point, index) => `${index === 0 ? 'M' : 'L'}${sx(point.x).toFixed(1)},${sy(point.y).toFixed(1)}`)
      .join(' ')
  const parts: string[] = []
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e4e4e4"/>`,
      `<text x="${margin.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(compact(y))}</text>`,
    )
  }
  for (const tick of axes.xTicks) {
    parts.push(
      `<line x1="${sx(tick.x).toFixed(1)}" x2="${sx(tick.x).toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`,
      `<text x="${sx(tick.x).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`,
    )
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#888"/>`,
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="#888"/>`,
    `<text class="axis" x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${escapeHtml(axes.xTitle)}</text>`,
    `<text class="axis" transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(axes.yTitle)}</text>`,
  )
  for (const line of series) {
    parts.push(`<path d="${path(line.points)}" fill="none" stroke="${line.color}" stroke-width="2"/>`)
  }
  if (series.length > 1) {
    series.forEach((line, index) => {
      const x = width - margin.right - 70 * (series.length - index)
      parts.push(
        `<line x1="${x}" x2="${x + 18}" y1="${margin.top + 10}" y2="${margin.top + 10}" stroke="${line.color}" stroke-width="3"/>`,
        `<text x="${x + 24}" y="${margin.top + 14}">${escapeHtml(line.name)}</text>`,
      )
    })
  }
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">\n${parts.join('\n')}\n</svg>`
}

function emptyChart(text: string): string {
  return `<svg width="${width}" height="60" viewBox="0 0 ${width} 60"><text x="12" y="34">${escapeHtml(text)}</text></svg>`
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  const scaled = raw / power
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power
}

function compact(value: number): string {
  if (value >= 1_000_000) return `${round(value / 1_000_000)}M`
  if (value >= 10_000) return `${round(value / 1000)}k`
  return String(round(value))
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
