import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'

/** The command that installs the browser these tests use, on the Debian machines socketlite is tested on. */
export const chromiumInstallCommand = 'apt-get install -y chromium'
const chromium = process.env.CHROMIUM ?? 'chromium'

function hasChromium(): boolean {
  try {
    execFileSync(chromium, ['--version'], { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}

/**
 * Makes sure a headless Chromium can be run (Debian's `chromium`, or `$CHROMIUM`): when it is missing and this process
 * runs as root (as CI does), installs it with `apt-get`; otherwise throws with the command to run. Never skips.
 * @throws Error when Chromium is missing and cannot be installed here
 */
export function ensureChromium(): void {
  if (hasChromium()) return
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    try {
      execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 })
    } catch {
      try {
        execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 600_000 })
        execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 })
      } catch (error) {
        throw new Error(`chromium is missing and "${chromiumInstallCommand}" failed`, { cause: error })
      }
    }
    if (hasChromium()) return
  }
  throw new Error(
    `The HTML report test renders the report in a real headless Chromium, which is not installed. Run: sudo ${chromiumInstallCommand}`,
  )
}

/**
 * Renders a local HTML file in headless Chromium and returns the PNG screenshot (a throwaway profile, no network
 * services, no GPU).
 *
 * @param htmlFile - an absolute path
 * @param size - the window size in CSS pixels
 */
export async function screenshot(htmlFile: string, size: { width: number; height: number }): Promise<Buffer> {
  const folder = mkdtempSync(join(tmpdir(), 'socketlite-chromium-'))
  try {
    const png = join(folder, 'shot.png')
    const child = spawn(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${join(folder, 'profile')}`,
        `--screenshot=${png}`,
        `--window-size=${size.width},${size.height}`,
        `file://${htmlFile}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const [code] = (await once(child, 'exit')) as [number | null]
    clearTimeout(timer)
    try {
      return readFileSync(png)
    } catch {
      throw new Error(`chromium wrote no screenshot (exit ${code}):\n${stderr}`)
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

/** A decoded 8-bit RGB(A) image. */
export interface Image {
  readonly width: number
  readonly height: number
  /** RGBA, 4 bytes a pixel, row after row. */
  readonly pixels: Uint8Array
}

/**
 * Decodes a PNG as Chromium writes its screenshots: 8 bits per channel, RGB or RGBA, not interlaced.
 *
 * @throws Error for any other kind of PNG
 */
export function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG')
  let offset = 8
  let width = 0
  let height = 0
  let channels = 0
  const data: Buffer[] = []
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const body = png.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]]
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`)
      }
      channels = color === 6 ? 4 : 3
    } else if (type === 'IDAT') {
      data.push(body)
    } else if (type === 'IEND') {
      break
    }
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(data))
  const stride = width * channels
  const rows = new Uint8Array(stride * height)
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)] as number
    const source = row * (stride + 1) + 1
    const target = row * stride
    for (let index = 0; index < stride; index++) {
      const byte = raw[source + index] as number
      const left = index >= channels ? (rows[target + index - channels] as number) : 0
      const up = row > 0 ? (rows[target - stride + index] as number) : 0
      const upLeft = row > 0 && index >= channels ? (rows[target - stride + index - channels] as number) : 0
      let value: number
      if (filter === 0) value = byte
      else if (filter === 1) value = byte + left
      else if (filter === 2) value = byte + up
      else if (filter === 3) value = byte + ((left + up) >> 1)
      else if (filter === 4) value = byte + paeth(left, up, upLeft)
      else throw new Error(`bad PNG filter ${filter}`)
      rows[target + index] = value & 0xff
    }
  }
  const pixels = new Uint8Array(width * height * 4)
  for (let pixel = 0; pixel < width * height; pixel++) {
    pixels[pixel * 4] = rows[pixel * channels] as number
    pixels[pixel * 4 + 1] = rows[pixel * channels + 1] as number
    pixels[pixel * 4 + 2] = rows[pixel * channels + 2] as number
    pixels[pixel * 4 + 3] = channels === 4 ? (rows[pixel * channels + 3] as number) : 255
  }
  return { width, height, pixels }
}

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft
  const toLeft = Math.abs(estimate - left)
  const toUp = Math.abs(estimate - up)
  const toUpLeft = Math.abs(estimate - upLeft)
  if (toLeft <= toUp && toLeft <= toUpLeft) return left
  return toUp <= toUpLeft ? up : upLeft
}

/** True when the pixel at `index` (pixel number) is within `tolerance` of the colour `#rrggbb`. */
export function isColor(image: Image, index: number, hex: string, tolerance = 24): boolean {
  const value = Number.parseInt(hex.slice(1), 16)
  const red = (value >> 16) & 0xff
  const green = (value >> 8) & 0xff
  const blue = value & 0xff
  const pixels = image.pixels
  return (
    Math.abs((pixels[index * 4] as number) - red) <= tolerance &&
    Math.abs((pixels[index * 4 + 1] as number) - green) <= tolerance &&
    Math.abs((pixels[index * 4 + 2] as number) - blue) <= tolerance
  )
}
