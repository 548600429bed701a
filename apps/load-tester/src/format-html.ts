import { formatDuration } from './duration.js'
import { errorKindLabel, errorKinds } from './error-kinds.js'
import type { LoadReport } from './load-report.js'

const width = 720
const height = 260
const margin = { left: 64, right: 16, top: 16, bottom: 40 }

/**
 * A self-contained HTML page (no scripts, no external files) with the run's summary, a latency-by-percentile
 * chart (HdrHistogram style, log scale towards 100 %), throughput per second and p50/p99 per second, as inline SVG.
 *
 * @param report - a report from `runLoad`
 * @returns the HTML document
 */
export function formatReportHtml(report: LoadReport): string {
  const { config, results, errors, cpu } = report
  const title = `socketlite-load ${config.target}`
  const latency = results.latencyMs
  const rows: [string, string][] = [
    ['target', config.target],
    ['protocol', `${config.protocol}, ${config.messageBytes}-byte messages`],
    ['model', config.model === 'closed' ? `closed, pipeline ${config.pipeline}` : `open, ${config.rate} msgs/s target`],
    ['connections', `${config.connections} (${config.workers} worker${config.workers === 1 ? '' : 's'})`],
    ['measured', formatDuration(results.durationMs)],
    ['throughput', `${results.messagesPerSecond.toLocaleString('en-US')} msgs/s`],
    ['MiB/s in / out', `${results.mibPerSecondIn} / ${results.mibPerSecondOut}`],
    [
      'latency (ms)',
      `p50 ${latency.p50} · p90 ${latency.p90} · p99 ${latency.p99} · p99.9 ${latency.p99_9} · max ${latency.max} · mean ${latency.mean} · stdev ${latency.stdev}`,
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
  const spectrum = results.latencySpectrum
  const samples = results.samples
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin-bottom: 24px; }
td { padding: 2px 12px 2px 0; vertical-align: top; }
td:first-child { color: #666; }
h2 { font-size: 16px; margin: 24px 0 4px; }
svg { background: #fafafa; border: 1px solid #ddd; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(report.startedAt)} · node ${escapeHtml(report.versions.node)} · socketlite-load ${escapeHtml(report.versions.socketliteLoad)}${report.aborted ? ' · stopped early' : ''}</p>
<table>
${rows.map(([name, value]) => `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</table>
<h2>Latency by percentile (ms)</h2>
${spectrumChart(spectrum)}
<h2>Throughput per second (msgs/s)</h2>
${lineChart(
  samples.map((sample) => ({ x: (sample.startMs + sample.durationMs) / 1000, y: sample.messagesPerSecond })),
  [],
  's',
  '#2a6fdb',
)}
<h2>Latency per second: p50 (blue) and p99 (red), ms</h2>
${lineChart(
  samples.map((sample) => ({ x: (sample.startMs + sample.durationMs) / 1000, y: sample.p50Ms })),
  samples.map((sample) => ({ x: (sample.startMs + sample.durationMs) / 1000, y: sample.p99Ms })),
  's',
  '#2a6fdb',
)}
</body>
</html>
`
}

interface Point {
  readonly x: number
  readonly y: number
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
  return svgChart(
    points,
    [],
    xMax,
    ticks.map((percentile) => ({ x: toX(percentile), label: `${percentile}%` })),
    '#c0392b',
  )
}

function lineChart(series: Point[], second: Point[], unit: string, color: string): string {
  if (series.length === 0) return emptyChart('no samples')
  const xMax = Math.max(...series.map((point) => point.x), 1)
  const step = niceStep(xMax / 8)
  const ticks: { x: number; label: string }[] = []
  for (let x = 0; x <= xMax + 1e-9; x += step) ticks.push({ x, label: `${round(x)}${unit}` })
  return svgChart(series, second, xMax, ticks, color)
}

function svgChart(
  series: readonly Point[],
  second: readonly Point[],
  xMax: number,
  xTicks: readonly { x: number; label: string }[],
  color: string,
): string {
  const yMaxRaw = Math.max(...series.map((point) => point.y), ...second.map((point) => point.y), 0)
  const yStep = niceStep((yMaxRaw || 1) / 5)
  const yMax = Math.ceil((yMaxRaw || 1) / yStep) * yStep
  const plotWidth = width - margin.left - margin.right
  const plotHeight = height - margin.top - margin.bottom
  const sx = (x: number): number => margin.left + (x / xMax) * plotWidth
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
  for (const tick of xTicks) {
    parts.push(
      `<line x1="${sx(tick.x).toFixed(1)}" x2="${sx(tick.x).toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`,
      `<text x="${sx(tick.x).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`,
    )
  }
  parts.push(`<path d="${path(series)}" fill="none" stroke="${color}" stroke-width="2"/>`)
  if (second.length > 0) parts.push(`<path d="${path(second)}" fill="none" stroke="#c0392b" stroke-width="2"/>`)
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${parts.join('\n')}\n</svg>`
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
