import { LoadOptionError } from './load-option-error.js'

const encoder = new TextEncoder()

const simpleEscapes: Readonly<Record<string, number>> = {
  r: 0x0d,
  n: 0x0a,
  t: 0x09,
  '0': 0x00,
  '\\': 0x5c,
}

/**
 * Turns a command-line string with escapes into bytes. Text is UTF-8; `\r`, `\n`, `\t`, `\0`, `\\` and `\xNN`
 * (one byte, two hex digits) are recognised, so `'PING\r\n'` and `'\x00\x05hello'` work from any shell.
 *
 * @param text - the string as typed
 * @param option - the option name, for the error
 * @returns the bytes (a fresh array)
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` for an unknown escape or a malformed `\x`
 */
export function parseEscapes(text: string, option = 'message'): Uint8Array {
  const bytes: number[] = []
  let literalStart = 0
  const flush = (end: number): void => {
    if (end > literalStart) for (const byte of encoder.encode(text.slice(literalStart, end))) bytes.push(byte)
  }
  for (let index = 0; index < text.length; index++) {
    if (text[index] !== '\\') continue
    flush(index)
    const next = text[index + 1]
    if (next === undefined) throw new LoadOptionError(option, `--${option}: a lone "\\" ends "${text}"`)
    if (next === 'x') {
      const hex = text.slice(index + 2, index + 4)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new LoadOptionError(option, `--${option}: "\\x" must be followed by two hex digits in "${text}"`)
      }
      bytes.push(Number.parseInt(hex, 16))
      index += 3
    } else {
      const byte = simpleEscapes[next]
      if (byte === undefined) {
        throw new LoadOptionError(option, `--${option}: unknown escape "\\${next}" (use \\r \\n \\t \\0 \\\\ \\xNN)`)
      }
      bytes.push(byte)
      index += 1
    }
    literalStart = index + 1
  }
  flush(text.length)
  return Uint8Array.from(bytes)
}

/**
 * The inverse of {@link parseEscapes} for display: printable ASCII stays, everything else is escaped.
 *
 * @param bytes - the bytes to show
 */
export function formatEscapes(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) {
    if (byte === 0x0d) text += '\\r'
    else if (byte === 0x0a) text += '\\n'
    else if (byte === 0x09) text += '\\t'
    else if (byte === 0x5c) text += '\\\\'
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte)
    else text += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return text
}
