import { InvalidArgumentError, type TextEncoding } from '@socketlite/app-server'

const simpleEscapes: Readonly<Record<string, number>> = {
  r: 0x0d,
  n: 0x0a,
  t: 0x09,
  '0': 0x00,
  '\\': 0x5c,
}

/**
 * Turns a command-line string with escapes into bytes, the way `socketlite-load` reads its marks, so that the same
 * flag value means the same bytes to both tools. Text between escapes is encoded with `encoding`; `\r`, `\n`, `\t`,
 * `\0`, `\\` and `\xNN` (one byte, two hex digits) are recognised: `--terminator '\r\n\r\n'` works from any shell.
 *
 * @param text - the value as typed
 * @param option - the flag name (without dashes), for the error message
 * @param encoding - encoding of the literal text
 * @default encoding 'utf8'
 * @returns a fresh buffer
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an unknown escape, a malformed `\x` or a lone `\`
 */
export function parseEscapes(text: string, option: string, encoding: TextEncoding = 'utf8'): Buffer {
  const parts: Buffer[] = []
  let literalStart = 0
  const flush = (end: number): void => {
    if (end > literalStart) parts.push(Buffer.from(text.slice(literalStart, end), encoding))
  }
  for (let index = 0; index < text.length; index++) {
    if (text[index] !== '\\') continue
    flush(index)
    const next = text[index + 1]
    if (next === undefined) throw new InvalidArgumentError(`--${option}: a lone "\\" ends "${text}"`)
    if (next === 'x') {
      const hex = text.slice(index + 2, index + 4)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new InvalidArgumentError(`--${option}: "\\x" must be followed by two hex digits in "${text}"`)
      }
      parts.push(Buffer.of(Number.parseInt(hex, 16)))
      index += 3
    } else {
      const byte = simpleEscapes[next]
      if (byte === undefined) {
        throw new InvalidArgumentError(`--${option}: unknown escape "\\${next}" (use \\r \\n \\t \\0 \\\\ \\xNN)`)
      }
      parts.push(Buffer.of(byte))
      index += 1
    }
    literalStart = index + 1
  }
  flush(text.length)
  return Buffer.concat(parts)
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
