import { SocketError } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { SendingQueue } from '../src/index.js'

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
    expect(queue.length).toBe(0)
    expect(queue.pendingLength).toBe(0)
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
    { highWaterMark: 10, onDrain: 'no' as unknown as () => void },
  ])('bad marks are refused with ERR_INVALID_ARGUMENT: %o', (init) => {
    expect(codeOf(() => new SendingQueue(init))).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('enqueue', () => {
  test('queues by reference: the batch holds the very same buffers, no copy', () => {
    const queue = new SendingQueue({ highWaterMark: 64 })
    const first = bytes(1, 2, 3)
    const second = Buffer.from('hi')
    expect(queue.enqueue(first)).toBe(true)
    expect(queue.enqueue(second)).toBe(true)
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
    expect(queue.length).toBe(1)
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
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 10, onDrain: () => drains++ })
    const big = new Uint8Array(25)
    expect(queue.hasRoomFor(25)).toBe(true)
    expect(queue.enqueue(big)).toBe(true)
    expect(queue.byteLength).toBe(25)
    expect(queue.writable).toBe(false)
    expect(queue.enqueue(new Uint8Array(0))).toBe(false)
    expect(queue.enqueue(new Uint8Array(1))).toBe(false)
    const batch = queue.takeBatch()
    expect(batch).toEqual([big])
    queue.complete(20) // 5 left: >= low mark (5), no drain yet
    expect(drains).toBe(0)
    expect(queue.byteLength).toBe(5)
    const rest = queue.takeBatch()
    queue.complete(rest[0]?.byteLength ?? -1)
    expect(drains).toBe(1)
    expect(queue.writable).toBe(true)
    expect(queue.byteLength).toBe(0)
  })

  test('a payload larger than the high mark is refused by a non-empty queue', () => {
    const queue = new SendingQueue({ highWaterMark: 10 })
    queue.enqueue(bytes(1))
    expect(queue.enqueue(new Uint8Array(25))).toBe(false)
    expect(queue.byteLength).toBe(1)
    expect(queue.length).toBe(1)
  })

  test('zero-length payloads are accepted and kept as buffers', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    const empty = new Uint8Array(0)
    expect(queue.enqueue(empty)).toBe(true)
    expect(queue.enqueue(bytes(7))).toBe(true)
    expect(queue.enqueue(new Uint8Array(0))).toBe(true)
    expect(queue.length).toBe(3)
    expect(queue.byteLength).toBe(1)
    const batch = queue.takeBatch()
    expect(batch).toHaveLength(3)
    expect(batch[0]).toBe(empty)
    queue.complete(1)
    expect(queue.length).toBe(0)
  })

  test('a batch of only zero-length buffers completes with 0 bytes', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    queue.enqueue(new Uint8Array(0))
    queue.enqueue(new Uint8Array(0))
    expect(queue.takeBatch()).toHaveLength(2)
    queue.complete(0)
    expect(queue.length).toBe(0)
    expect(queue.inFlight).toBe(false)
  })

  test('a non-Uint8Array is misuse', () => {
    const queue = new SendingQueue({ highWaterMark: 4 })
    expect(codeOf(() => queue.enqueue('text' as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT')
    expect(codeOf(() => queue.enqueue(new ArrayBuffer(2) as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.length).toBe(0)
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
    expect(queue.pendingLength).toBe(1)
    expect(queue.length).toBe(2)
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
    const queue = new SendingQueue({ highWaterMark: 64 })
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

  test('complete(0) puts the whole batch back, ahead of later buffers, and fires no drain', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 4, onDrain: () => drains++ })
    const first = bytes(1, 2, 3, 4)
    queue.enqueue(first)
    queue.takeBatch()
    expect(queue.enqueue(bytes(9))).toBe(false)
    queue.complete(0)
    expect(drains).toBe(0)
    expect(queue.takeBatch()).toEqual([first])
  })

  test('the queue never touches a batch array once handed out, even after a partial write', () => {
    const queue = new SendingQueue({ highWaterMark: 64 })
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
    const payload = bytes(1, 2)
    queue.enqueue(payload)
    const batch = queue.takeBatch()
    queue.enqueue(bytes(3))
    expect(batch).toEqual([payload])
  })
})

describe('drain signal', () => {
  test('fires once when the bytes drop below the low mark after the queue was full, not before', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 10, lowWaterMark: 4, onDrain: () => drains++ })
    queue.enqueue(new Uint8Array(10))
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(6) // 4 left: not below 4
    expect(drains).toBe(0)
    expect(queue.writable).toBe(false)
    queue.takeBatch()
    queue.complete(1) // 3 left
    expect(drains).toBe(1)
    expect(queue.writable).toBe(true)
    queue.takeBatch()
    queue.complete(3)
    expect(drains).toBe(1)
  })

  test('never fires while the queue was never full', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 10, onDrain: () => drains++ })
    for (let round = 0; round < 5; round += 1) {
      queue.enqueue(new Uint8Array(9))
      queue.takeBatch()
      queue.complete(9)
    }
    expect(drains).toBe(0)
  })

  test('a refusal makes the queue full; the next release below the low mark fires', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 10, onDrain: () => drains++ })
    queue.enqueue(new Uint8Array(2)) // below the low mark (5) already
    expect(queue.enqueue(new Uint8Array(9))).toBe(false)
    expect(queue.writable).toBe(false)
    expect(drains).toBe(0)
    queue.takeBatch()
    queue.complete(1)
    expect(drains).toBe(1)
  })

  test('with lowWaterMark 0 it fires once the queue is empty', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 4, lowWaterMark: 0, onDrain: () => drains++ })
    queue.enqueue(new Uint8Array(4))
    queue.takeBatch()
    queue.complete(3)
    expect(drains).toBe(0)
    queue.takeBatch()
    queue.complete(1)
    expect(drains).toBe(1)
  })

  test('onDrain may enqueue and take the next batch (the state is final when it runs)', () => {
    const seen: number[][] = []
    const queue: SendingQueue = new SendingQueue({
      highWaterMark: 4,
      onDrain: () => {
        expect(queue.inFlight).toBe(false)
        expect(queue.enqueue(bytes(42))).toBe(true)
        seen.push(...queue.takeBatch().map((buffer) => [...buffer]))
      },
    })
    queue.enqueue(bytes(1, 2, 3, 4))
    queue.takeBatch()
    queue.complete(4)
    expect(seen).toEqual([[42]])
    expect(queue.inFlight).toBe(true)
  })

  test('an error thrown by onDrain propagates and leaves the queue consistent', () => {
    const failure = new Error('handler failed')
    const queue = new SendingQueue({
      highWaterMark: 4,
      onDrain: () => {
        throw failure
      },
    })
    queue.enqueue(bytes(1, 2, 3, 4))
    queue.takeBatch()
    expect(() => queue.complete(4)).toThrow(failure)
    expect(queue.inFlight).toBe(false)
    expect(queue.byteLength).toBe(0)
    expect(queue.writable).toBe(true)
    expect(queue.enqueue(bytes(5))).toBe(true)
  })
})

describe('clear', () => {
  test('drops waiting buffers, returns the bytes dropped and fires onDrain when full', () => {
    let drains = 0
    const queue = new SendingQueue({ highWaterMark: 4, onDrain: () => drains++ })
    queue.enqueue(bytes(1, 2))
    queue.enqueue(bytes(3, 4))
    expect(queue.clear()).toBe(4)
    expect(drains).toBe(1)
    expect(queue.length).toBe(0)
    expect(queue.clear()).toBe(0)
    expect(drains).toBe(1)
  })

  test('a batch in flight is dropped but stays in flight until the writer completes it', () => {
    const queue = new SendingQueue({ highWaterMark: 16 })
    queue.enqueue(bytes(1, 2, 3))
    const batch = queue.takeBatch()
    queue.enqueue(bytes(4))
    expect(queue.clear()).toBe(4)
    expect(queue.byteLength).toBe(0)
    expect(queue.length).toBe(0)
    expect(queue.inFlight).toBe(true)
    expect([...(batch[0] ?? [])]).toEqual([1, 2, 3]) // the writer's view is untouched
    expect(codeOf(() => queue.takeBatch())).toBe('ERR_INVALID_ARGUMENT')
    expect(queue.enqueue(bytes(5))).toBe(true)
    expect(codeOf(() => queue.complete(4))).toBe('ERR_INVALID_ARGUMENT') // more than the dropped batch had
    queue.complete(1) // the old write finished partly: nothing of it comes back
    expect(queue.inFlight).toBe(false)
    expect(queue.byteLength).toBe(1)
    expect(queue.takeBatch().map((buffer) => [...buffer])).toEqual([[5]])
  })
})
