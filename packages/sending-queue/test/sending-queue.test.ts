import { SocketError } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { SendingQueue, SmartPool } from '../src/index.js'
import { frame } from './fixtures/frame.js'

function codeOf(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    return SocketError.isSocketError(error) ? error.code : `not a SocketError: ${String(error)}`
  }
  return undefined
}

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('construction', () => {
  test('lowWaterMark defaults to half the high mark, floored', () => {
    expect(new SendingQueue({ highWaterMark: 65_536 }).lowWaterMark).toBe(32_768)
    expect(new SendingQueue({ highWaterMark: 5 }).lowWaterMark).toBe(2)
    expect(new SendingQueue({ highWaterMark: 1 }).lowWaterMark).toBe(0)
    const queue = new SendingQueue({ highWaterMark: 10, lowWaterMark: 10 })
    expect([queue.highWaterMark, queue.lowWaterMark]).toEqual([10, 10])
  })

  test('a new queue is empty and writable', () => {
    const queue = new SendingQueue({ highWaterMark: 8 })
    expect(queue.byteLength).toBe(0)
    expect(queue.pendingByteLength).toBe(0)
    expect(queue.chunkCount).toBe(0)
    expect(queue.inFlight).toBe(false)
    expect(queue.writable).toBe(true)
  })

  test.each([
    { highWaterMark: 0 },
    { highWaterMark: -1 },
    { highWaterMark: 1.5 },
    { highWaterMark: Number.NaN },
    { highWaterMark: Number.POSITIVE_INFINITY },
    { highWaterMark: '64' as unknown as number },
    { highWaterMark: 10, lowWaterMark: 11 },
    { highWaterMark: 10, lowWaterMark: -1 },
    { highWaterMark: 10, lowWaterMark: 2.5 },
    { highWaterMark: 10, pool: {} as unknown as SmartPool },
  ])('bad marks (or a pool that is not one) are refused with ERR_INVALID_ARGUMENT: %o', (init) => {
    expect(codeOf(() => new SendingQueue(init))).toBe('ERR_INVALID_ARGUMENT')
  })
})

/** A queue that keeps every payload a buffer of its own, as the by-reference rules are easiest to see there. */
const separate = (init: { highWaterMark: number; lowWaterMark?: number }) =>
  new SendingQueue({ ...init, coalesce: false })

/** The bytes of a batch, flattened. */
const flat = (batch: readonly Uint8Array[]) => batch.flatMap((buffer) => [...buffer])

/** Take the batch and report it all written. */
function drain(queue: SendingQueue): number[] {
  const batch = queue.takeBatch()
  const bytes = flat(batch)
  if (batch.length > 0) queue.complete(queue.inFlightByteLength)
  return bytes
}

describe('enqueue (by reference)', () => {
  test('without coalescing, queues by reference: the batch holds the very same buffers, no copy', () => {
    const queue = separate({ highWaterMark: 64 })
    const first = bytes(1, 2, 3)
    const second = Buffer.from('hi')
    expect(queue.enqueue(first)).toBe(true)
    expect(queue.enqueue(second)).toBe(true)
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(2)
    expect(batch[0]).toBe(first)
    expect(batch[1]).toBe(second)
  })

  test('a payload of 2 KiB or more is queued by reference even when coalescing', () => {
    const queue = new SendingQueue({ highWaterMark: 1 << 20 })
    const big = new Uint8Array(2_048).fill(7)
    queue.enqueue(bytes(1))
    queue.enqueue(big)
    queue.enqueue(bytes(2))
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(3)
    expect(batch[1]).toBe(big)
    expect(flat(batch)).toEqual([1, ...big, 2])
  })

  test('consecutive views of one buffer handed over leave as one view of it: the frames of a read, no copy', () => {
    const pool = new SmartPool({ chunkSize: 1_024, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 1 << 20, pool })
    const received = Buffer.alloc(36 * 100 + 10, 'x')
    for (let line = 0; line < 100; line += 1) {
      expect(queue.enqueue(received.subarray(line * 36, line * 36 + 36))).toBe(true)
    }
    expect(queue.byteLength).toBe(3_600)
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(1)
    expect(batch[0]?.buffer).toBe(received.buffer)
    expect([batch[0]?.byteOffset, batch[0]?.byteLength]).toEqual([received.byteOffset, 3_600])
    expect(pool.inUse).toBe(0) // nothing was copied
    queue.complete(3_600)
    expect(queue.byteLength).toBe(0)
  })

  test('received frames are placed by the view keys they answer, not by reading byteOffset and buffer per frame', () => {
    // A receive filter's frame answers socket-base's view keys with fields; byteOffset and buffer cost 20-30 ns each.
    const reads = { keys: 0, getters: 0 }
    const pool = new SmartPool({ chunkSize: 1_024, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 1 << 20, pool })
    const received = Buffer.alloc(36 * 100 + 10, 'x')
    const source = received.buffer as ArrayBuffer
    for (let line = 0; line < 100; line += 1) {
      expect(queue.enqueue(frame(source, received.byteOffset + line * 36, 36, reads))).toBe(true)
    }
    const other = Buffer.alloc(4_096, 'y') // another buffer: a new run
    queue.enqueue(frame(other.buffer as ArrayBuffer, other.byteOffset, 2_048, reads))
    const batch = queue.takeBatch()
    expect(reads.getters).toBe(0)
    expect(reads.keys).toBeGreaterThanOrEqual(200)
    expect(batch.map((buffer) => [buffer.buffer, buffer.byteOffset, buffer.byteLength])).toEqual([
      [source, received.byteOffset, 3_600],
      [other.buffer, other.byteOffset, 2_048],
    ])
    expect(pool.inUse).toBe(0) // nothing was copied
    queue.complete(5_648)
  })

  test('a run of views keeps its place among copies, and breaks where the views stop being back to back', () => {
    const queue = new SendingQueue({ highWaterMark: 1 << 20, pool: new SmartPool({ chunkSize: 16_384, maxChunks: 4 }) })
    const filled = (size: number, from: number) => Buffer.from(Array.from({ length: size }, (_, index) => from + index))
    const first = filled(8_192, 0)
    const second = filled(4_096, 3)
    const third = filled(4_096, 5)
    queue.enqueueCopy(bytes(1))
    queue.enqueue(first.subarray(0, 3_000))
    queue.enqueue(first.subarray(3_000, 4_500))
    queue.enqueue(second.subarray(0, 3_000)) // another buffer: a new run
    queue.enqueue(third.subarray(0, 1_000))
    queue.enqueue(third.subarray(1_100, 3_000)) // a gap: a new run (both runs are small: copied)
    queue.enqueueCopy(bytes(2))
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => buffer.byteLength)).toEqual([1, 4_500, 3_000, 2_901])
    expect(batch[1]?.buffer).toBe(first.buffer)
    expect(batch[2]?.buffer).toBe(second.buffer)
    expect(flat(batch)).toEqual([
      1,
      ...first.subarray(0, 4_500),
      ...second.subarray(0, 3_000),
      ...third.subarray(0, 1_000),
      ...third.subarray(1_100, 3_000),
      2,
    ])
  })

  test('a run under 2 KiB, or under half of the buffer it views, is copied: it never keeps a larger buffer alive', () => {
    const pool = new SmartPool({ chunkSize: 16_384, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 1 << 20, pool })
    const small = Buffer.alloc(4_096, 1)
    queue.enqueue(small.subarray(0, 1_000))
    queue.enqueue(small.subarray(1_000, 2_000))
    const large = Buffer.alloc(65_536, 2)
    queue.enqueueCopy(bytes(0))
    queue.enqueue(large.subarray(0, 20_000)) // 2 KiB and more, but less than half of its buffer
    const batch = queue.takeBatch()
    for (const buffer of batch) {
      expect(buffer.buffer).not.toBe(small.buffer)
      expect(buffer.buffer).not.toBe(large.buffer)
    }
    expect(flat(batch)).toEqual([...small.subarray(0, 2_000), 0, ...large.subarray(0, 20_000)])
  })

  test('without coalescing, views are never merged: one payload, one buffer (a datagram each)', () => {
    const queue = separate({ highWaterMark: 1 << 20 })
    const received = Buffer.alloc(100)
    const first = received.subarray(0, 10)
    const second = received.subarray(10, 20)
    queue.enqueue(first)
    queue.enqueue(second)
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(2)
    expect(batch[0]).toBe(first)
    expect(batch[1]).toBe(second)
  })

  test('accepts exactly up to the high mark, refuses a payload that would pass it, whole', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    expect(queue.enqueue(new Uint8Array(6))).toBe(true)
    expect(queue.hasRoomFor(5)).toBe(false)
    expect(queue.enqueue(new Uint8Array(5))).toBe(false)
    expect(queue.byteLength).toBe(6)
    expect(queue.writable).toBe(false)
    expect(queue.hasRoomFor(4)).toBe(true)
    expect(queue.enqueue(new Uint8Array(4))).toBe(true)
    expect(queue.byteLength).toBe(10)
  })

  test('reaching the high mark exactly makes the queue not writable; one byte below does not', () => {
    const below = new SendingQueue({ highWaterMark: 10 })
    below.enqueue(new Uint8Array(9))
    expect(below.writable).toBe(true)
    const at = new SendingQueue({ highWaterMark: 10 })
    at.enqueue(new Uint8Array(10))
    expect(at.writable).toBe(false)
  })

  test('a payload larger than the high mark is accepted into an empty queue, and nothing more until it drains', () => {
    const queue = separate({ highWaterMark: 10 })
    const big = new Uint8Array(25)
    expect(queue.hasRoomFor(25)).toBe(true)
    expect(queue.enqueue(big)).toBe(true)
    expect(queue.byteLength).toBe(25)
    expect(queue.writable).toBe(false)
    expect(queue.enqueue(new Uint8Array(0))).toBe(false)
    expect(queue.enqueue(new Uint8Array(1))).toBe(false)
    expect(queue.enqueueCopy('x')).toBe(false)
    const batch = queue.takeBatch()
    expect(batch).toEqual([big])
    queue.complete(20) // 5 left: >= low mark (5), not writable yet
    expect(queue.writable).toBe(false)
    expect(queue.byteLength).toBe(5)
    const rest = queue.takeBatch()
    queue.complete(rest[0]?.byteLength ?? -1)
    expect(queue.writable).toBe(true)
    expect(queue.byteLength).toBe(0)
  })

  test('a payload larger than the high mark is refused by a non-empty queue', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    queue.enqueue(bytes(1))
    expect(queue.enqueue(new Uint8Array(25))).toBe(false)
    expect(queue.byteLength).toBe(1)
    expect(drain(queue)).toEqual([1])
  })

  test('without coalescing, zero-length payloads are kept as buffers (an empty datagram is a datagram)', () => {
    const queue = separate({ highWaterMark: 4 })
    const empty = new Uint8Array(0)
    expect(queue.enqueue(empty)).toBe(true)
    expect(queue.enqueue(bytes(7))).toBe(true)
    expect(queue.enqueueCopy(new Uint8Array(0))).toBe(true)
    expect(queue.enqueueCopy('')).toBe(true)
    expect(queue.byteLength).toBe(1)
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => buffer.byteLength)).toEqual([0, 1, 0, 0])
    expect(batch[0]).toBe(empty)
    queue.complete(1)
    expect(queue.inFlight).toBe(false)
    expect(queue.takeBatch()).toEqual([])
  })

  test('when coalescing, zero-length payloads are accepted and add nothing', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    expect(queue.enqueue(new Uint8Array(0))).toBe(true)
    expect(queue.enqueueCopy('')).toBe(true)
    expect(queue.takeBatch()).toEqual([])
    expect(queue.chunkCount).toBe(0)
  })

  test('a batch of only zero-length buffers completes with 0 bytes', () => {
    const queue = separate({ highWaterMark: 4 })
    queue.enqueue(new Uint8Array(0))
    queue.enqueue(new Uint8Array(0))
    expect(queue.takeBatch()).toHaveLength(2)
    queue.complete(0)
    expect(queue.inFlight).toBe(false)
    expect(queue.takeBatch()).toEqual([])
  })

  test('a non-Uint8Array is misuse', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    expect(codeOf(() => queue.enqueue('text' as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT')
    expect(codeOf(() => queue.enqueue(new ArrayBuffer(2) as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT')
    expect(codeOf(() => queue.enqueueCopy(42 as unknown as string))).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.byteLength).toBe(0)
  })
})

describe('coalescing', () => {
  test('small payloads leave as one buffer, copied into a pooled chunk that goes back once written', () => {
    const pool = new SmartPool({ chunkSize: 64, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 1_024, pool })
    const first = bytes(1, 2, 3)
    queue.enqueue(first)
    queue.enqueueCopy(bytes(4, 5))
    queue.enqueueCopy('AB')
    first[0] = 99 // handed over: the queue copied it already (the caller should not do this, but it is harmless)
    expect(pool.inUse).toBe(1)
    expect(queue.chunkCount).toBe(1)
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(1)
    expect(flat(batch)).toEqual([1, 2, 3, 4, 5, 65, 66])
    queue.complete(7)
    expect(pool.inUse).toBe(0)
    expect(pool.available).toBe(1)
    expect(queue.chunkCount).toBe(0)
  })

  test('enqueueCopy leaves the caller its buffer: changing it afterwards changes nothing queued', () => {
    const queue = new SendingQueue({ highWaterMark: 1 << 20 })
    const small = bytes(1, 2, 3)
    const large = new Uint8Array(20_000).fill(5) // larger than a chunk: a copy of its own
    queue.enqueueCopy(small)
    queue.enqueueCopy(large)
    small.fill(0)
    large.fill(0)
    const batch = queue.takeBatch()
    expect(batch.every((buffer) => buffer.buffer !== small.buffer && buffer.buffer !== large.buffer)).toBe(true)
    const bytesOut = flat(batch)
    expect(bytesOut.slice(0, 3)).toEqual([1, 2, 3])
    expect(bytesOut.slice(3).every((value) => value === 5)).toBe(true)
    expect(bytesOut).toHaveLength(20_003)
  })

  test.each(['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'utf16le', 'ucs2', 'hex', 'base64'] as BufferEncoding[])(
    'strings are encoded straight into the chunk (%s), the same bytes Buffer.from gives',
    (encoding) => {
      const texts = ['', 'x', 'héllo wörld €', '\u{1F600} and more', 'deadbeef', 'aGVsbG8=', 'lone \ud800 surrogate']
      const queue = new SendingQueue({ highWaterMark: 1 << 20 })
      const expected: number[] = []
      for (const text of texts) {
        expect(queue.enqueueCopy(text, encoding)).toBe(true)
        expected.push(...Buffer.from(text, encoding))
      }
      expect(queue.byteLength).toBe(expected.length)
      expect(drain(queue)).toEqual(expected)
    },
  )

  test('a string that does not fit the chunk left starts a new chunk; one larger than a chunk gets a buffer of its own', () => {
    const pool = new SmartPool({ chunkSize: 8, maxChunks: 8 })
    const queue = new SendingQueue({ highWaterMark: 1_024, pool })
    queue.enqueueCopy('abcdef') // 6 of 8
    queue.enqueueCopy('ghij') // does not fit the 2 left: next chunk
    queue.enqueueCopy('é') // 2 bytes, bound 3: fits the 4 left
    queue.enqueueCopy('0123456789') // 10 > 8: its own buffer
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => Buffer.from(buffer).toString())).toEqual(['abcdef', 'ghijé', '0123456789'])
    expect(pool.inUse).toBe(2)
    queue.complete(queue.inFlightByteLength)
    expect(pool.inUse).toBe(0)
  })

  test('copied bytes fill a chunk and continue in the next (no byte of room is wasted)', () => {
    const pool = new SmartPool({ chunkSize: 4, maxChunks: 8 })
    const queue = new SendingQueue({ highWaterMark: 1_024, pool })
    queue.enqueueCopy(bytes(1, 2, 3))
    queue.enqueueCopy(bytes(4, 5, 6))
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => [...buffer])).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ])
    queue.complete(6)
    expect(pool.inUse).toBe(0)
  })

  test('without coalescing, each copied payload is one contiguous buffer, even where the chunk has too little room', () => {
    const pool = new SmartPool({ chunkSize: 4, maxChunks: 8 })
    const queue = new SendingQueue({ highWaterMark: 1_024, pool, coalesce: false })
    queue.enqueueCopy(bytes(1, 2, 3))
    queue.enqueueCopy(bytes(4, 5, 6))
    queue.enqueueCopy('z')
    queue.enqueueCopy(bytes(7, 8, 9, 10, 11)) // larger than a chunk
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => [...buffer])).toEqual([[1, 2, 3], [4, 5, 6], [122], [7, 8, 9, 10, 11]])
    queue.complete(queue.inFlightByteLength)
    expect(pool.inUse).toBe(0)
  })

  test('bytes appended while a batch is in flight go after it in the same chunk, never over it', () => {
    const pool = new SmartPool({ chunkSize: 64, maxChunks: 1 })
    const queue = new SendingQueue({ highWaterMark: 1_024, pool })
    queue.enqueueCopy('first')
    const batch = queue.takeBatch()
    queue.enqueueCopy('second')
    expect(Buffer.from(batch[0] as Uint8Array).toString()).toBe('first')
    expect(pool.inUse).toBe(1)
    queue.complete(5)
    expect(pool.inUse).toBe(1) // 'second' still waits in it
    expect(Buffer.from(queue.takeBatch()[0] as Uint8Array).toString()).toBe('second')
    queue.complete(6)
    expect(pool.inUse).toBe(0)
  })

  test('an exhausted pool does not stop the queue: it makes a chunk of its own and the pool counts it', () => {
    const pool = new SmartPool({ chunkSize: 8, maxChunks: 1 })
    const first = new SendingQueue({ highWaterMark: 64, pool })
    const second = new SendingQueue({ highWaterMark: 64, pool })
    first.enqueueCopy('aaaa')
    second.enqueueCopy('bbbb')
    expect(pool.inUse).toBe(1)
    expect(pool.overflows).toBe(1)
    expect(second.chunkCount).toBe(1)
    expect(drain(second)).toEqual([...Buffer.from('bbbb')])
    expect(drain(first)).toEqual([...Buffer.from('aaaa')])
    expect(pool.inUse).toBe(0)
    expect(pool.size).toBe(1)
  })

  test('a queue that stops writing holds only its own chunks; the others go on reusing theirs', () => {
    const pool = new SmartPool({ chunkSize: 16, maxChunks: 8 })
    const stuck = new SendingQueue({ highWaterMark: 1_024, pool })
    for (let index = 0; index < 4; index += 1) stuck.enqueueCopy('0123456789abcdef') // 64 bytes: 4 chunks
    stuck.takeBatch() // in flight, never completed
    const busy = new SendingQueue({ highWaterMark: 1_024, pool })
    for (let round = 0; round < 100; round += 1) {
      busy.enqueueCopy(`round ${round}`)
      drain(busy)
    }
    expect(stuck.chunkCount).toBe(4)
    expect(pool.inUse).toBe(4)
    expect(pool.size).toBe(5)
    expect(pool.overflows).toBe(0)
  })

  test('the room rule for strings counts encoded bytes', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    expect(queue.enqueueCopy('ab')).toBe(true)
    expect(queue.enqueueCopy('ééé')).toBe(true) // 6 bytes (bound 9 would not fit: measured)
    expect(queue.byteLength).toBe(8)
    expect(queue.enqueueCopy('abc')).toBe(false)
    expect(queue.writable).toBe(false)
    expect(queue.enqueueCopy('ab')).toBe(true)
    expect(queue.byteLength).toBe(10)
    expect(Buffer.from(drain(queue)).toString()).toBe('abéééab')
  })
})

describe('takeBatch and complete', () => {
  test('takeBatch on an empty queue returns an empty array and puts nothing in flight', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    expect(queue.takeBatch()).toEqual([])
    expect(queue.inFlight).toBe(false)
    expect(codeOf(() => queue.complete(0))).toBe('ERR_INVALID_ARGUMENT')
  })

  test('a second takeBatch while a batch is in flight is misuse', () => {
    const queue = new SendingQueue({ highWaterMark: 8 })
    queue.enqueue(bytes(1))
    queue.takeBatch()
    expect(queue.inFlight).toBe(true)
    queue.enqueue(bytes(2))
    expect(codeOf(() => queue.takeBatch())).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.pendingByteLength).toBe(1)
    expect(queue.byteLength).toBe(2)
  })

  test('complete outside a flight, or with a byte count outside 0..batch bytes, is misuse and changes nothing', () => {
    const queue = new SendingQueue({ highWaterMark: 8 })
    expect(codeOf(() => queue.complete(0))).toBe('ERR_INVALID_ARGUMENT')
    queue.enqueue(bytes(1, 2, 3))
    queue.takeBatch()
    for (const bad of [4, -1, 1.5, Number.NaN]) expect(codeOf(() => queue.complete(bad))).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.inFlight).toBe(true)
    expect(queue.byteLength).toBe(3)
    queue.complete(3)
    expect(queue.byteLength).toBe(0)
  })

  test('a partial write puts the unwritten tail back in front, as a subarray of the same memory', () => {
    const queue = separate({ highWaterMark: 64 })
    const first = bytes(1, 2, 3, 4)
    const second = bytes(5, 6)
    queue.enqueue(first)
    queue.enqueue(second)
    queue.takeBatch()
    const later = bytes(7)
    queue.enqueue(later) // enqueued while the batch is in flight
    queue.complete(2)
    expect(queue.inFlight).toBe(false)
    expect(queue.byteLength).toBe(5)
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => [...buffer])).toEqual([[3, 4], [5, 6], [7]])
    expect(batch[0]?.buffer).toBe(first.buffer)
    expect(batch[0]?.byteOffset).toBe(first.byteOffset + 2)
    expect(batch[1]).toBe(second)
    expect(batch[2]).toBe(later)
  })

  test('a partial write of coalesced bytes keeps the chunk until its last byte is written', () => {
    const pool = new SmartPool({ chunkSize: 64, maxChunks: 2 })
    const queue = new SendingQueue({ highWaterMark: 64, pool })
    queue.enqueueCopy('hello world')
    queue.takeBatch()
    queue.enqueueCopy('!')
    queue.complete(6)
    expect(pool.inUse).toBe(1)
    const batch = queue.takeBatch()
    expect(batch.map((buffer) => Buffer.from(buffer).toString())).toEqual(['world', '!'])
    queue.complete(6)
    expect(pool.inUse).toBe(0)
    expect(queue.chunkCount).toBe(0)
  })

  test('complete(0) puts the whole batch back, ahead of later buffers, and leaves the queue full', () => {
    const queue = separate({ highWaterMark: 4 })
    const first = bytes(1, 2, 3, 4)
    queue.enqueue(first)
    queue.takeBatch()
    expect(queue.enqueue(bytes(9))).toBe(false)
    queue.complete(0)
    expect(queue.writable).toBe(false)
    expect(queue.takeBatch()).toEqual([first])
  })

  test('the queue never touches a batch array once handed out, even after a partial write', () => {
    const queue = separate({ highWaterMark: 64 })
    const first = bytes(1, 2)
    const second = bytes(3)
    queue.enqueue(first)
    queue.enqueue(second)
    const batch = queue.takeBatch()
    queue.complete(1)
    queue.enqueue(bytes(4))
    queue.takeBatch()
    expect(batch).toHaveLength(2)
    expect(batch[0]).toBe(first)
    expect(batch[1]).toBe(second)
  })

  test('the batch stays readable by the writer until complete', () => {
    const queue = new SendingQueue({ highWaterMark: 64 })
    queue.enqueueCopy(bytes(1, 2))
    const batch = queue.takeBatch()
    queue.enqueueCopy(bytes(3))
    expect(flat(batch)).toEqual([1, 2])
  })
})

describe('writability (the backpressure signal)', () => {
  test('writable again once the bytes drop below the low mark after the queue was full, not before', () => {
    const queue = separate({ highWaterMark: 10, lowWaterMark: 4 })
    queue.enqueue(new Uint8Array(10))
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(6) // 4 left: not below 4
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(1) // 3 left
    expect(queue.writable).toBe(true)
    queue.takeBatch()
    queue.complete(3)
    expect(queue.writable).toBe(true)
  })

  test('stays writable while the queue is never full', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    for (let round = 0; round < 5; round += 1) {
      queue.enqueue(new Uint8Array(9))
      expect(queue.writable).toBe(true)
      queue.takeBatch()
      queue.complete(9)
    }
    expect(queue.writable).toBe(true)
  })

  test('a refusal makes the queue full; the next release below the low mark makes it writable', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    queue.enqueue(new Uint8Array(2)) // below the low mark (5) already
    expect(queue.enqueue(new Uint8Array(9))).toBe(false)
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(0)
    expect(queue.writable).toBe(false) // nothing released
    queue.takeBatch()
    queue.complete(1)
    expect(queue.writable).toBe(true)
  })

  test('with lowWaterMark 0 it is writable again once the queue is empty', () => {
    const queue = new SendingQueue({ highWaterMark: 4, lowWaterMark: 0 })
    queue.enqueue(new Uint8Array(4))
    queue.takeBatch()
    queue.complete(3)
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(1)
    expect(queue.writable).toBe(true)
  })
})

describe('clear', () => {
  test('drops waiting buffers, returns the bytes dropped, makes the queue writable and gives its chunks back', () => {
    const pool = new SmartPool({ chunkSize: 2, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 4, pool })
    queue.enqueueCopy(bytes(1, 2))
    queue.enqueueCopy(bytes(3, 4))
    expect(queue.writable).toBe(false)
    expect(pool.inUse).toBe(2)
    expect(queue.clear()).toBe(4)
    expect(queue.writable).toBe(true)
    expect(queue.byteLength).toBe(0)
    expect(pool.inUse).toBe(0)
    expect(queue.chunkCount).toBe(0)
    expect(queue.clear()).toBe(0)
  })

  test('a batch in flight is dropped but stays in flight, with its chunks, until the writer completes it', () => {
    const pool = new SmartPool({ chunkSize: 8, maxChunks: 4 })
    const queue = new SendingQueue({ highWaterMark: 16, pool })
    queue.enqueue(bytes(1, 2, 3))
    const batch = queue.takeBatch()
    queue.enqueue(bytes(4))
    expect(queue.clear()).toBe(4)
    expect(queue.byteLength).toBe(0)
    expect(queue.inFlight).toBe(true)
    expect(pool.inUse).toBe(1) // the writer may still be reading it
    expect(flat(batch)).toEqual([1, 2, 3]) // the writer's view is untouched
    expect(codeOf(() => queue.takeBatch())).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.enqueue(bytes(5))).toBe(true) // appended after the bytes in flight, never over them
    expect(flat(batch)).toEqual([1, 2, 3])
    expect(codeOf(() => queue.complete(4))).toBe('ERR_INVALID_ARGUMENT') // more than the dropped batch had
    queue.complete(1) // the old write finished partly: nothing of it comes back
    expect(queue.inFlight).toBe(false)
    expect(queue.byteLength).toBe(1)
    expect(drain(queue)).toEqual([5])
    expect(pool.inUse).toBe(0)
  })
})
