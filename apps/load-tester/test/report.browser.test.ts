import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, onTestFinished, test } from 'vitest'
import { formatReportHtml, runLoad } from '../src/index.js'
import { decodePng, type Image, isColor, screenshot } from './chromium.js'
import { echo, startTcpServer } from './helpers.js'

/** Rows where at least `share` of the pixels are the chart background (#fafafa): one band per chart. */
function chartBands(image: Image, share = 0.4): { top: number; bottom: number }[] {
  const bands: { top: number; bottom: number }[] = []
  for (let row = 0; row < image.height; row++) {
    let background = 0
    for (let column = 0; column < image.width; column++) {
      if (isColor(image, row * image.width + column, '#fafafa', 2)) background++
    }
    if (background / image.width < share) continue
    const last = bands.at(-1)
    if (last !== undefined && last.bottom >= row - 12) last.bottom = row
    else bands.push({ top: row, bottom: row })
  }
  return bands.filter((band) => band.bottom - band.top > 100)
}

/** Pixels of the band whose hue is that of the chart's blue (#2a6fdb) or red (#c0392b) lines, anti-aliased or not. */
function countHue(image: Image, hue: 'blue' | 'red', band: { top: number; bottom: number }): number {
  let count = 0
  const pixels = image.pixels
  for (let index = band.top * image.width * 4; index < (band.bottom + 1) * image.width * 4; index += 4) {
    const red = pixels[index] as number
    const green = pixels[index + 1] as number
    const blue = pixels[index + 2] as number
    if (hue === 'blue' ? blue - red > 60 && blue - green > 30 : red - green > 60 && red - blue > 60) count++
  }
  return count
}

test('the HTML report of a real run renders in headless Chromium: three charts with their lines, nothing blank', async () => {
  const port = await startTcpServer(echo)
  const report = await runLoad({
    target: `tcp://127.0.0.1:${port}`,
    connections: 4,
    pipeline: 8,
    warmup: 300,
    duration: 1_250,
    sampleInterval: 200,
  })
  const folder = mkdtempSync(join(tmpdir(), 'socketlite-load-report-'))
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }))
  const htmlFile = join(folder, 'report.html')
  writeFileSync(htmlFile, formatReportHtml(report))
  const png = await screenshot(htmlFile, { width: 900, height: 2_300 })
  if (process.env.REPORT_SCREENSHOT !== undefined) writeFileSync(process.env.REPORT_SCREENSHOT, png)
  const image = decodePng(png)
  expect(image.width).toBe(900)

  // not blank: text, and the charts' background
  let inked = 0
  for (let pixel = 0; pixel < image.width * image.height; pixel++) {
    if (!isColor(image, pixel, '#ffffff', 2)) inked++
  }
  expect(inked / (image.width * image.height)).toBeGreaterThan(0.2)

  // three charts, each drawn: the percentile curve (red), throughput (blue), p50 (blue) and p99 (red)
  const bands = chartBands(image)
  expect(bands).toHaveLength(3)
  for (const band of bands) expect(band.bottom - band.top).toBeGreaterThan(200)
  const [spectrum, throughput, latency] = bands as [(typeof bands)[0], (typeof bands)[0], (typeof bands)[0]]
  // a line across the plot is more than 600 pixels; a legend swatch is 54
  expect(countHue(image, 'red', spectrum)).toBeGreaterThan(600)
  expect(countHue(image, 'blue', spectrum)).toBe(0)
  expect(countHue(image, 'blue', throughput)).toBeGreaterThan(600)
  expect(countHue(image, 'blue', latency)).toBeGreaterThan(600)
  expect(countHue(image, 'red', latency)).toBeGreaterThan(600)
})
