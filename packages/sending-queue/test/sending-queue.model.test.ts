import { fc, test } from '@fast-check/vitest'
import { SocketError } from '@socketlite/socket-base'
import { expect } from 'vitest'
import { SendingQueue } from '../src/index.js'

// Model-based test: a plain-array model of the queue (buffers as number[] copies, slices for partial writes)
// is run side by side with the real queue over random command sequences.

interface Model {
  readonly high: number
  readonly low: number
  /** Waiting buffers (contents), in order. */
  waiting: number[][]
  /** The batch in flight, or undefined. */
  batch: number[][] | undefined
  /** clear() dropped the batch in flight; its bytes, to validate its complete(). */
  droppedBytes: number | undefined
  full: boolean
  drains: number
  /** Every byte the writer reported written, in order. */
  written: number[]
  /** Every byte accepted by enqueue, in order, and the bytes dropped by clear (to check conservation). */
  accepted: number
  dropped: number
}

interface Real {
  readonly queue: SendingQueue
  drains: number
  /** Next byte value to write into a payload: every payload carries a running counter, so reordering shows. */
  nextByte: number
  /** Every byte the writer reported written, in order. */
  written: number[]
  /** The batch handed out and not yet completed (as the writer sees it). */
  batch: readonly Uint8Array[] | undefined
}

const sum = (buffers: readonly { length: number }[]): number =>
  buffers.reduce((total, buffer) => total + buffer.length, 0)
const heldBytes = (model: Model): number => sum(model.waiting) + (model.batch === undefined ? 0 : sum(model.batch))
const heldCount = (model: Model): number => model.waiting.length + (model.batch?.length ?? 0)

function checkDrain(model: Model): void {
  const held = heldBytes(model)
  if (model.full && (held < model.low || held === 0)) {
    model.full = false
    model.drains += 1
  }
}

function expectCode(action: () => unknown, code: string): void {
  let thrown: unknown
  try {
    action()
  } catch (error) {
    thrown = error
  }
  expect(SocketError.isSocketError(thrown)).toBe(true)
  expect((thrown as SocketError).code).toBe(code)
}

function checkInvariants(model: Model, real: Real): void {
  const { queue } = real
  const held = heldBytes(model)
  expect(queue.byteLength).toBe(held)
  expect(queue.length).toBe(heldCount(model))
  expect(queue.pendingLength).toBe(model.waiting.length)
  expect(queue.pendingByteLength).toBe(sum(model.waiting))
  expect(queue.inFlight).toBe(model.batch !== undefined)
  expect(queue.writable).toBe(!model.full)
  expect(real.drains).toBe(model.drains)
  expect(real.written.length).toBe(model.written.length)
  // Never over the high mark, except one oversize payload accepted into an empty queue (or what is left of it).
  if (held > model.high) {
    const nonEmpty = [...model.waiting, ...(model.batch ?? [])].filter((buffer) => buffer.length > 0)
    expect(nonEmpty.length).toBe(1)
  }
  // Conservation: every accepted byte is written, dropped, or still held.
  expect(model.written.length + model.dropped + held).toBe(model.accepted)
}

class EnqueueCommand implements fc.Command<Model, Real> {
  constructor(readonly size: number) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const data = new Uint8Array(this.size)
    for (let i = 0; i < data.length; i += 1) data[i] = (real.nextByte + i) & 0xff
    const held = heldBytes(model)
    const fits = held === 0 || held + this.size <= model.high
    expect(real.queue.hasRoomFor(this.size)).toBe(fits)
    const accepted = real.queue.enqueue(data)
    expect(accepted).toBe(fits)
    if (fits) {
      real.nextByte = (real.nextByte + this.size) & 0xff
      model.waiting.push([...data])
      model.accepted += this.size
      if (held + this.size >= model.high) model.full = true
    } else {
      model.full = true
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return `enqueue(${this.size})`
  }
}

class TakeBatchCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    if (model.batch !== undefined) {
      expectCode(() => real.queue.takeBatch(), 'ERR_INVALID_ARGUMENT')
    } else {
      const batch = real.queue.takeBatch()
      expect(batch.map((buffer) => [...buffer])).toEqual(model.waiting)
      if (model.waiting.length > 0) {
        model.batch = model.waiting
        model.waiting = []
        real.batch = batch
      }
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return 'takeBatch()'
  }
}

type CompleteKind =
  | { kind: 'whole' }
  | { kind: 'zero' }
  | { kind: 'partial'; fraction: number }
  | { kind: 'at'; offset: number }
  | { kind: 'boundary'; index: number }
  | { kind: 'overshoot' }

/** The byte count a complete() of this kind reports for a batch of `total` bytes made of `buffers`. */
function writtenFor(how: CompleteKind, total: number, buffers: readonly number[][]): number {
  switch (how.kind) {
    case 'whole':
      return total
    case 'zero':
    case 'overshoot':
      return 0
    case 'partial':
      return Math.floor(how.fraction * total)
    case 'at':
      return how.offset % (total + 1)
    case 'boundary':
      // the end of one buffer of the batch: exactly on a buffer boundary
      return buffers.length === 0 ? 0 : sum(buffers.slice(0, (how.index % buffers.length) + 1))
  }
}

class CompleteCommand implements fc.Command<Model, Real> {
  constructor(readonly how: CompleteKind) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const batch = model.batch
    if (batch === undefined) {
      expectCode(() => real.queue.complete(0), 'ERR_INVALID_ARGUMENT')
      checkInvariants(model, real)
      return
    }
    const total = model.droppedBytes ?? sum(batch)
    if (this.how.kind === 'overshoot') {
      expectCode(() => real.queue.complete(total + 1), 'ERR_INVALID_ARGUMENT')
      expectCode(() => real.queue.complete(-1), 'ERR_INVALID_ARGUMENT')
      expectCode(() => real.queue.complete(0.5), 'ERR_INVALID_ARGUMENT')
      checkInvariants(model, real)
      return
    }
    const written = Math.min(total, writtenFor(this.how, total, batch))
    // The writer "writes" the first `written` bytes of the batch it holds (it may read it until complete()).
    if (model.droppedBytes === undefined) {
      const flat = (real.batch ?? []).flatMap((buffer) => [...buffer]).slice(0, written)
      const expected = batch.flat().slice(0, written)
      expect(flat).toEqual(expected)
      real.written.push(...flat)
      model.written.push(...expected)
    }
    real.queue.complete(written)
    real.batch = undefined
    model.batch = undefined
    if (model.droppedBytes !== undefined) {
      model.droppedBytes = undefined
    } else {
      // Release every buffer fully written (a zero-length one counts as written once the bytes before it are);
      // the rest, the partial one sliced, goes back in front of the waiting buffers.
      let index = 0
      let skipped = 0
      while (index < batch.length && skipped + (batch[index] as number[]).length <= written) {
        skipped += (batch[index] as number[]).length
        index += 1
      }
      const rest = batch.slice(index)
      if (rest.length > 0) rest[0] = (rest[0] as number[]).slice(written - skipped)
      model.waiting = [...rest, ...model.waiting]
      if (written > 0) checkDrain(model)
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return `complete(${JSON.stringify(this.how)})`
  }
}

class ClearCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const held = heldBytes(model)
    expect(real.queue.clear()).toBe(held)
    model.dropped += held
    model.waiting = []
    if (model.batch !== undefined && model.droppedBytes === undefined) {
      model.droppedBytes = sum(model.batch)
      model.batch = []
    }
    if (held > 0) checkDrain(model)
    checkInvariants(model, real)
  }
  toString(): string {
    return 'clear()'
  }
}

const marks = fc
  .integer({ min: 1, max: 64 })
  .chain((high) =>
    fc.record({ high: fc.constant(high), low: fc.option(fc.integer({ min: 0, max: high }), { nil: undefined }) }),
  )

// Weighted by repetition (fc.commands picks among its arbitraries uniformly): small enqueues and takeBatch come
// often so batches hold several buffers and buffers are enqueued while a batch is in flight; clear is rare.
const commandsFor = (high: number) => {
  const smallEnqueue = fc
    .integer({ min: 0, max: Math.max(1, Math.floor(high / 4)) })
    .map((size) => new EnqueueCommand(size))
  const anyEnqueue = fc.integer({ min: 0, max: 3 * high }).map((size) => new EnqueueCommand(size))
  const takeBatch = fc.constant(new TakeBatchCommand())
  return fc.commands(
    [
      smallEnqueue,
      smallEnqueue,
      smallEnqueue,
      anyEnqueue,
      anyEnqueue,
      takeBatch,
      takeBatch,
      fc.constant(new CompleteCommand({ kind: 'whole' })),
      fc.constant(new CompleteCommand({ kind: 'zero' })),
      fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => new CompleteCommand({ kind: 'partial', fraction })),
      fc.nat().map((offset) => new CompleteCommand({ kind: 'at', offset })),
      fc.nat().map((index) => new CompleteCommand({ kind: 'boundary', index })),
      fc.nat().map((index) => new CompleteCommand({ kind: 'boundary', index })),
      fc.constant(new CompleteCommand({ kind: 'overshoot' })),
      fc.constant(new ClearCommand()),
    ],
    { maxCommands: 100, size: 'medium' },
  )
}

test.prop([marks.chain((m) => fc.tuple(fc.constant(m), commandsFor(m.high)))], { numRuns: 200 })(
  'matches the plain-array model: order, bytes, room rule, refusal, drain count',
  ([{ high, low }, commands]) => {
    const real: Real = {
      queue: undefined as unknown as SendingQueue,
      drains: 0,
      nextByte: 0,
      written: [],
      batch: undefined,
    }
    const queue = new SendingQueue({
      highWaterMark: high,
      ...(low === undefined ? {} : { lowWaterMark: low }),
      onDrain: () => {
        real.drains += 1
      },
    })
    ;(real as { queue: SendingQueue }).queue = queue
    const model: Model = {
      high,
      low: low ?? Math.floor(high / 2),
      waiting: [],
      batch: undefined,
      droppedBytes: undefined,
      full: false,
      drains: 0,
      written: [],
      accepted: 0,
      dropped: 0,
    }
    expect(queue.lowWaterMark).toBe(model.low)
    fc.modelRun(() => ({ model, real }), commands)
  },
)

test.prop([
  fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }),
  fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 }),
])('a writer with any partial writes delivers exactly the bytes enqueued, in order', (sizes, writeSizes) => {
  const queue = new SendingQueue({ highWaterMark: 1 << 20 })
  const expected: number[] = []
  let counter = 0
  for (const size of sizes) {
    const data = new Uint8Array(size).map(() => counter++ & 0xff)
    expect(queue.enqueue(data)).toBe(true)
    expected.push(...data)
  }
  const delivered: number[] = []
  // Each round writes at most the next write size (cycling); bounded because every round with bytes writes >= 1.
  for (let round = 0; queue.byteLength > 0 && round < 100_000; round += 1) {
    const batch = queue.takeBatch()
    const limit = Math.max(1, writeSizes[round % writeSizes.length] as number)
    const flat = batch.flatMap((buffer) => [...buffer])
    const written = Math.min(limit, flat.length)
    delivered.push(...flat.slice(0, written))
    queue.complete(written)
  }
  expect(delivered).toEqual(expected)
  expect(queue.byteLength).toBe(0)
})
