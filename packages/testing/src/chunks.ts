/**
 * Split `buffer` at the byte offsets `cuts` (any order; duplicates and offsets outside `(0, length)` are
 * ignored). Each piece is a fresh copy, as socket chunks are; no piece is empty.
 *
 * @example
 * ```ts
 * splitAt(Buffer.from('abc\r\ndef'), [4]) // ['abc\r', '\ndef']
 * ```
 */
export function splitAt(buffer: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts)].filter((cut) => Number.isInteger(cut) && cut > 0 && cut < buffer.byteLength)
  points.sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let start = 0
  for (const cut of [...points, buffer.byteLength]) {
    if (cut > start) pieces.push(Buffer.from(buffer.subarray(start, cut)))
    start = cut
  }
  return pieces
}

/** Options of {@link randomChunks}. */
export interface RandomChunksOptions {
  /**
   * Largest piece, in bytes.
   * @default the whole buffer
   */
  maxChunkSize?: number
}

/**
 * Split `buffer` into pieces of random sizes (1 to `maxChunkSize` bytes) drawn from `random` (a function
 * returning numbers in `[0, 1)`, e.g. {@link seededRandom}). Each piece is a fresh copy; no piece is empty.
 */
export function randomChunks(buffer: Uint8Array, random: () => number, options: RandomChunksOptions = {}): Buffer[] {
  const max = Math.max(1, Math.floor(options.maxChunkSize ?? buffer.byteLength))
  const pieces: Buffer[] = []
  for (let start = 0; start < buffer.byteLength; ) {
    const size = 1 + Math.floor(random() * max)
    const end = Math.min(buffer.byteLength, start + size)
    pieces.push(Buffer.from(buffer.subarray(start, end)))
    start = end
  }
  return pieces
}

/**
 * A small deterministic pseudo-random generator (mulberry32): the same `seed` gives the same sequence of
 * numbers in `[0, 1)`. Print the seed of a failing test to replay it.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * Compare two byte sequences fast (vitest's deep equality walks a large buffer byte by byte, slowly): `undefined`
 * when equal, else a short description of the first difference, so `expect(bytesDiff(a, b)).toBeUndefined()`
 * fails with a useful message.
 */
export function bytesDiff(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (Buffer.compare(actual, expected) === 0) return undefined
  const length = Math.min(actual.byteLength, expected.byteLength)
  let index = 0
  while (index < length && actual[index] === expected[index]) index += 1
  if (index === length) return `lengths differ: ${actual.byteLength} bytes, expected ${expected.byteLength}`
  return `byte ${index} is ${actual[index]}, expected ${expected[index]} (lengths ${actual.byteLength} and ${expected.byteLength})`
}
