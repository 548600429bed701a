import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { FrameAccumulator } from '../src/frame-accumulator.js'

// The accumulator every built-in filter gathers partial frames in: a small buffer it keeps for short frames, or one
// buffer of the frame's own, grown geometrically. Checked against a plain array of the bytes held, with every buffer
// it ever handed out kept and re-checked.

const scratchSize = 256

interface Model {
  held: number[]
  /** Buffers handed out (frames and peeks) and the bytes each must keep. */
  handed: { buffer: Buffer; bytes: number[] }[]
}
interface Real {
  accumulator: FrameAccumulator
}

/** `bytes` inside a larger buffer, with `before` and `after` bytes of padding: the filters pass ranges of chunks. */
function padded(bytes: number[], before: number, after: number): Buffer {
  const buffer = Buffer.alloc(before + bytes.length + after, 0xee)
  Buffer.from(bytes).copy(buffer, before)
  return buffer
}

function check(model: Model, { accumulator }: Real): void {
  expect(accumulator.length).toBe(model.held.length)
  expect([...accumulator.peek(accumulator.length)]).toEqual(model.held)
  // About the size: never more than twice the bytes held, or the small buffer.
  expect(accumulator.capacity).toBeLessThanOrEqual(Math.max(scratchSize, 2 * model.held.length))
  // Nothing handed out is ever written again.
  for (const { buffer, bytes } of model.handed) expect([...buffer]).toEqual(bytes)
}

class Append implements fc.Command<Model, Real> {
  constructor(
    readonly bytes: number[],
    readonly before: number,
    readonly after: number,
    readonly slack: number,
  ) {}
  check = () => true
  run(model: Model, real: Real) {
    const data = padded(this.bytes, this.before, this.after)
    const limit = model.held.length + this.bytes.length + this.slack
    const capacity = real.accumulator.capacity
    real.accumulator.append(data, this.before, this.before + this.bytes.length, limit)
    model.held.push(...this.bytes)
    check(model, real)
    // A buffer grows only when it must, and never past the frame's bound (or the small buffer).
    if (model.held.length <= capacity) expect(real.accumulator.capacity).toBe(capacity)
    else expect(real.accumulator.capacity).toBeLessThanOrEqual(Math.max(scratchSize, limit))
    data.fill(0x55) // the bytes were copied: the chunk may go
    check(model, real)
  }
  toString = () => `append(${this.bytes.length} bytes, slack ${this.slack})`
}

class TakeWith implements fc.Command<Model, Real> {
  constructor(
    readonly bytes: number[],
    readonly before: number,
  ) {}
  check = () => true
  run(model: Model, real: Real) {
    const data = padded(this.bytes, this.before, 3)
    const heldBefore = model.held.length
    const frame = real.accumulator.takeWith(data, this.before, this.before + this.bytes.length)
    const bytes = [...model.held, ...this.bytes]
    expect([...frame]).toEqual(bytes)
    if (heldBefore === 0) {
      // Nothing held: a view of the chunk, no copy.
      expect(frame.buffer).toBe(data.buffer)
      expect(frame.byteOffset).toBe(data.byteOffset + this.before)
    } else {
      // Gathered: a buffer of its own, at most twice its size, or a slice of Node's pool.
      expect(frame.buffer).not.toBe(data.buffer)
      expect(frame.buffer.byteLength).toBeLessThanOrEqual(Math.max(Buffer.poolSize, 2 * bytes.length))
      data.fill(0x55)
      model.handed.push({ buffer: frame, bytes })
    }
    model.held = []
    check(model, real)
  }
  toString = () => `takeWith(${this.bytes.length} bytes)`
}

class Take implements fc.Command<Model, Real> {
  constructor(readonly fraction: number) {}
  check = () => true
  run(model: Model, real: Real) {
    const size = Math.floor(model.held.length * this.fraction)
    const frame = real.accumulator.take(size)
    const bytes = model.held.slice(0, size)
    expect([...frame]).toEqual(bytes)
    model.handed.push({ buffer: frame, bytes })
    model.held = []
    check(model, real)
  }
  toString = () => `take(${this.fraction.toFixed(2)} of the held bytes)`
}

class Peek implements fc.Command<Model, Real> {
  constructor(readonly fraction: number) {}
  check = () => true
  run(model: Model, real: Real) {
    const size = Math.floor(model.held.length * this.fraction)
    const view = real.accumulator.peek(size)
    model.handed.push({ buffer: view, bytes: model.held.slice(0, size) })
    check(model, real)
  }
  toString = () => `peek(${this.fraction.toFixed(2)} of the held bytes)`
}

class Clear implements fc.Command<Model, Real> {
  check = () => true
  run(model: Model, real: Real) {
    real.accumulator.clear()
    model.held = []
    check(model, real)
  }
  toString = () => 'clear()'
}

/** The first occurrence of `mark` in `held ++ data[offset, end)` that starts in `held` and ends in the data. */
function naiveAcross(held: number[], mark: number[], data: number[]): number {
  const stream = [...held, ...data]
  for (let start = Math.max(0, held.length - mark.length + 1); start < held.length; start++) {
    if (start + mark.length > stream.length) continue
    if (mark.every((byte, index) => stream[start + index] === byte)) return start
  }
  return -1
}

describe('FrameAccumulator', () => {
  // Runs of bytes from a few bytes to a few KiB, so that the buffer grows many times.
  const runs = fc.oneof(
    fc.array(fc.nat(255), { minLength: 1, maxLength: 4 }),
    fc.array(fc.nat(255), { minLength: 1, maxLength: 600 }),
  )
  const fraction = fc.double({ min: 0, max: 1, noNaN: true })
  test.prop([
    fc.commands(
      [
        fc
          .tuple(runs, fc.nat(8), fc.nat(8), fc.oneof(fc.constant(0), fc.nat(4), fc.nat(100_000)))
          .map(([bytes, before, after, slack]) => new Append(bytes, before, after, slack)),
        fc.tuple(fc.array(fc.nat(255), { maxLength: 300 }), fc.nat(8)).map(([b, before]) => new TakeWith(b, before)),
        fraction.map((value) => new Take(value)),
        fraction.map((value) => new Peek(value)),
        fc.constant(new Clear()),
      ],
      { maxCommands: 80 },
    ),
  ])('holds what was appended in one buffer at most twice its size, and never rewrites what it handed out', (c) => {
    fc.modelRun(() => ({ model: { held: [], handed: [] }, real: { accumulator: new FrameAccumulator() } }), c)
  })

  test('grows by doubling from 256 bytes: a frame dripped one byte at a time is copied a few times, not per byte', () => {
    const accumulator = new FrameAccumulator()
    const one = Buffer.of(0x78)
    const capacities = new Set<number>()
    for (let count = 0; count < 10_000; count++) {
      accumulator.append(one, 0, 1, 65_536)
      capacities.add(accumulator.capacity)
    }
    expect([...capacities]).toEqual([256, 514, 1030, 2062, 4126, 8254, 16_510])
  })

  test('never grows past the frame bound, and sizes a completed frame exactly when it must grow', () => {
    const accumulator = new FrameAccumulator()
    accumulator.append(Buffer.alloc(300), 0, 300, 400)
    expect(accumulator.capacity).toBe(400)
    const frame = accumulator.takeWith(Buffer.alloc(100), 0, 100)
    expect(frame.buffer.byteLength).toBe(400) // the grown buffer, handed out as it is
    accumulator.append(Buffer.alloc(300), 0, 300, 100_000)
    expect(accumulator.capacity).toBe(600)
    const big = accumulator.takeWith(Buffer.alloc(1000), 0, 1000)
    expect([big.length, big.buffer.byteLength]).toEqual([1300, 1300])
  })

  test('keeps one small buffer for short frames and hands them out as copies', () => {
    const accumulator = new FrameAccumulator()
    accumulator.append(Buffer.from('abc'), 0, 3, 65_536)
    expect(accumulator.capacity).toBe(scratchSize)
    const first = accumulator.takeWith(Buffer.from('de'), 0, 2)
    accumulator.append(Buffer.from('xyz'), 0, 3, 65_536)
    const second = accumulator.take(2)
    expect([first.toString(), second.toString()]).toEqual(['abcde', 'xy'])
    expect(accumulator.capacity).toBe(scratchSize) // kept for the next short frame, idle
    accumulator.append(Buffer.alloc(200, 'h'), 0, 200, 65_536)
    const header = accumulator.peek(4)
    accumulator.clear()
    accumulator.append(Buffer.from('zzzz'), 0, 4, 65_536)
    expect(header.toString()).toBe('hhhh') // a copy: the small buffer was written again since
  })

  test.prop([
    fc.array(fc.nat(2), { maxLength: 8 }),
    fc.array(fc.nat(2), { minLength: 1, maxLength: 5 }),
    fc.array(fc.nat(2), { maxLength: 8 }),
    fc.nat(3),
  ])(
    'indexOfMarkAcross finds the first mark that straddles the boundary, as a brute-force search does',
    (held, mark, data, before) => {
      const accumulator = new FrameAccumulator()
      if (held.length > 0) accumulator.append(Buffer.from(held), 0, held.length, 1000)
      const chunk = padded(data, before, 2)
      const expected = naiveAcross(held, mark, data)
      expect(accumulator.indexOfMarkAcross(Buffer.from(mark), chunk, before, before + data.length)).toBe(expected)
    },
  )
})
