import { LoadOptionError } from './load-option-error.js'

const sizeUnits: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 * 1024,
  mb: 1024 * 1024,
  mib: 1024 * 1024,
}

const countUnits: Readonly<Record<string, number>> = { '': 1, k: 1000, m: 1_000_000 }

/**
 * Parses a byte size: `32`, `512b`, `4k` / `4KiB` / `4kb` (all 4096), `1m` / `1MiB`. Sizes are binary.
 *
 * @param text - the size as typed
 * @param option - the option name, for the error
 * @returns a non-negative integer number of bytes
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when it is not a size or not a whole number of bytes
 */
export function parseSize(text: string, option = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const factor = match ? sizeUnits[(match[2] ?? '').toLowerCase()] : undefined
  if (!match || factor === undefined) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not a size (examples: 32, 4k, 1MiB)`)
  }
  const bytes = Number(match[1]) * factor
  if (!Number.isSafeInteger(bytes)) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not a whole number of bytes`)
  }
  return bytes
}

/**
 * Parses a count or a rate: `100`, `2500.5`, `10k` (10 000), `1.5M` (1 500 000). Units are decimal.
 *
 * @param text - the number as typed
 * @param option - the option name, for the error
 * @param integer - require a whole number
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when it is not a non-negative number
 */
export function parseCount(text: string, option: string, integer = false): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([km]?)\s*$/i.exec(text)
  const factor = match ? countUnits[(match[2] ?? '').toLowerCase()] : undefined
  if (!match || factor === undefined) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not a number (examples: 100, 10k, 1.5M)`)
  }
  const value = Number(match[1]) * factor
  if (integer && !Number.isSafeInteger(value)) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not a whole number`)
  }
  return value
}

/**
 * Parses a signed integer (for `--length-adjustment`).
 *
 * @param text - the number as typed
 * @param option - the option name, for the error
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when it is not an integer
 */
export function parseSignedInteger(text: string, option: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) {
    throw new LoadOptionError(option, `--${option}: "${text}" is not an integer`)
  }
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new LoadOptionError(option, `--${option}: "${text}" is out of range`)
  return value
}
