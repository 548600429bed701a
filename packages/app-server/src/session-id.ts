import { randomFillSync } from 'node:crypto'

/** Random bytes for 256 ids, refilled from the system's CSPRNG when used up (as `crypto.randomUUID` caches them). */
const entropy = Buffer.allocUnsafeSlow(16 * 256)
let used = entropy.length
/** The id being written, as latin1 bytes; the version (4) and variant digits are rewritten each time. */
const text = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1')
const digits = Buffer.from('0123456789abcdef', 'latin1')
/** Where the two hex digits of each random byte go in `text`. */
const positions = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]

/**
 * A random (version 4) lower-case UUID, as `crypto.randomUUID()` makes, but as one flat string of 36 characters
 * decoded at once: `randomUUID()` returns a string concatenated from many pieces (about 470 bytes of heap while it
 * lives, some 900 bytes allocated per call with the copy that flattened it). A session keeps its id for its whole
 * life, and a server makes one per connection.
 */
export function newSessionId(): string {
  if (used === entropy.length) {
    randomFillSync(entropy)
    used = 0
  }
  const at = used
  used += 16
  for (let index = 0; index < 16; index++) {
    let byte = entropy[at + index] as number
    if (index === 6) byte = (byte & 0x0f) | 0x40
    else if (index === 8) byte = (byte & 0x3f) | 0x80
    const position = positions[index] as number
    text[position] = digits[byte >> 4] as number
    text[position + 1] = digits[byte & 15] as number
  }
  return text.toString('latin1')
}

/**
 * `id.toLowerCase()`, the key sessions are registered and looked up by (ids are case-insensitive), without a new
 * string when `id` is lower case already, as every generated id is: `toLowerCase` copies even then, twice per
 * accepted connection.
 */
export function sessionKey(id: string): string {
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index)
    if ((code >= 65 && code <= 90) || code > 127) return id.toLowerCase()
  }
  return id
}
