import { fc, test } from '@fast-check/vitest'
import { SocketError } from '@socketlite/socket-base'
import { expect } from 'vitest'
import { SendingQueue, SmartPool } from '../src/index.js'
import { frame } from './fixtures/frame.js'

// Model-based test: two queues share one small chunk pool; a plain-array model of each queue (its payloads as
// number[] copies, slices for partial writes) runs side by side with the real queues over random command sequences.
// Besides the bytes, the order, the room rule and the writability signal, it checks the chunk rules: a chunk goes
// back to the pool once nothing of it waits or flies (an idle queue holds none), a chunk is never handed to a queue
// while another (or the same) queue has it in flight, and bytes in flight are never overwritten until completed.
// Payloads handed over are fresh arrays ('owned') or views of a "received chunk" of the queue's own, one after the
// other ('view', which the queue merges into one run) or with a byte skipped ('view-gap', which starts a new run),
// plain or as received frames that tell their buffer and offset through socket-base's view keys ('frame', as the
// receive filters' frames do).

type Mode = 'owned' | 'view' | 'view-gap' | 'frame' | 'copy' | 'latin1' | 'utf8' | 'utf8-wide'

/** Handed-over modes: the queue takes the buffer (`enqueue`). */
const handedOver = (mode: Mode): boolean =>
  mode === 'owned' || mode === 'view' || mode === 'view-gap' || mode === 'frame'

interface QueueModel {
  /** Waiting payloads (contents), in order; the first may be the unwritten tail of a partial write. */
  waiting: number[][]
  /** The batch in flight, or undefined. */
  batch: number[][] | undefined
  /** clear() dropped the batch in flight; its bytes, to validate its complete(). */
  droppedBytes: number | undefined
  full: boolean
  /** Every byte the writer reported written, in order. */
  written: number[]
  /** Bytes accepted and bytes dropped by clear (to check conservation). */
  accepted: number
  dropped: number
}

interface Model {
  readonly high: number
  readonly low: number
  readonly coalesce: boolean
  readonly queues: [QueueModel, QueueModel]
}

interface QueueReal {
  readonly queue: SendingQueue
  /** Next byte value of a payload: every payload carries a running counter, so reordering shows. */
  nextByte: number
  /** The "received chunk" views are cut from, and how much of it is used (never written again below that). */
  received: Buffer
  receivedUsed: number
  written: number[]
  /** The batch handed out and not yet completed (as the writer sees it), and its bytes when it was handed out. */
  batch: readonly Uint8Array[] | undefined
  snapshot: number[] | undefined
}

interface Real {
  readonly pool: SmartPool
  readonly chunkSize: number
  readonly queues: [QueueReal, QueueReal]
}

const sum = (buffers: readonly { length: number }[]): number =>
  buffers.reduce((total, buffer) => total + buffer.length, 0)
const heldBytes = (queue: QueueModel): number =>
  sum(queue.waiting) + (queue.batch === undefined || queue.droppedBytes !== undefined ? 0 : sum(queue.batch))
const flat = (buffers: readonly Uint8Array[]): number[] => buffers.flatMap((buffer) => [...buffer])

function checkWritable(model: Model, queue: QueueModel): void {
  const held = heldBytes(queue)
  if (queue.full && (held < model.low || held === 0)) queue.full = false
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

/** The memory (ArrayBuffers) of every batch in flight, per queue (zero-length buffers hold none). */
function inFlightMemory(real: Real): Set<ArrayBufferLike>[] {
  return real.queues.map(
    (queue) => new Set((queue.batch ?? []).filter((buffer) => buffer.byteLength > 0).map((buffer) => buffer.buffer)),
  )
}

function checkInvariants(model: Model, real: Real): void {
  let chunksHeld = 0
  for (const index of [0, 1] as const) {
    const queue = real.queues[index].queue
    const state = model.queues[index]
    const held = heldBytes(state)
    expect(queue.byteLength).toBe(held)
    expect(queue.pendingByteLength).toBe(sum(state.waiting))
    expect(queue.inFlight).toBe(state.batch !== undefined)
    expect(queue.writable).toBe(!state.full)
    expect(real.queues[index].written.length).toBe(state.written.length)
    // Never over the high mark, except one oversize payload accepted into an empty queue (or what is left of it).
    if (held > model.high) {
      const nonEmpty = [...state.waiting, ...(state.droppedBytes === undefined ? (state.batch ?? []) : [])].filter(
        (payload) => payload.length > 0,
      )
      expect(nonEmpty.length).toBe(1)
    }
    // Conservation: every accepted byte is written, dropped, or still held.
    expect(state.written.length + state.dropped + held).toBe(state.accepted)
    // A queue holds a chunk only for bytes in it: an idle queue holds none, and never more chunks than bytes.
    const flying = state.droppedBytes ?? (state.batch === undefined ? 0 : sum(state.batch))
    expect(queue.chunkCount).toBeLessThanOrEqual(sum(state.waiting) + flying)
    if (held === 0 && state.batch === undefined) expect(queue.chunkCount).toBe(0)
    chunksHeld += queue.chunkCount
  }
  // The pool: bounded, and every chunk in use is held by one of the queues (chunks made on overflow are not pooled).
  const { pool } = real
  expect(pool.size).toBeLessThanOrEqual(pool.maxChunks)
  expect(pool.inUse + pool.available).toBe(pool.size)
  expect(pool.inUse).toBeLessThanOrEqual(chunksHeld)
  // Batches in flight of different queues never share memory.
  const [first, second] = inFlightMemory(real) as [Set<ArrayBufferLike>, Set<ArrayBufferLike>]
  for (const memory of first) expect(second.has(memory)).toBe(false)
}

/** The payload of `size` bytes for `mode`, and its bytes as the queue must send them. */
function makePayload(real: QueueReal, mode: Mode, size: number): { data: Uint8Array | string; bytes: number[] } {
  const values: number[] = []
  for (let index = 0; index < size; index += 1) values.push((real.nextByte + index) & 0xff)
  switch (mode) {
    case 'owned':
    case 'copy':
      return { data: Uint8Array.from(values), bytes: values }
    case 'view':
    case 'view-gap':
    case 'frame': {
      if (mode === 'view-gap') real.receivedUsed += 1
      if (real.receivedUsed + size > real.received.length) {
        // The next "read": sized so that runs are sometimes more, sometimes less than half of it.
        real.received = Buffer.alloc(Math.max(size, 8 + ((real.nextByte * 7) % 96)))
        real.receivedUsed = 0
      }
      const start = real.receivedUsed
      real.received.set(values, start)
      real.receivedUsed += size
      const received = real.received
      const data =
        mode === 'frame'
          ? frame(received.buffer as ArrayBuffer, received.byteOffset + start, size)
          : received.subarray(start, start + size)
      return { data, bytes: values }
    }
    case 'latin1': {
      const text = String.fromCharCode(...values)
      return { data: text, bytes: [...Buffer.from(text, 'latin1')] }
    }
    case 'utf8': {
      const text = String.fromCharCode(...values.map((value) => value & 0x7f))
      return { data: text, bytes: [...Buffer.from(text, 'utf8')] }
    }
    case 'utf8-wide': {
      // Two bytes per character: `size` bytes are size/2 characters (odd sizes round down).
      const text = 'é'.repeat(Math.floor(size / 2))
      return { data: text, bytes: [...Buffer.from(text, 'utf8')] }
    }
  }
}

class EnqueueCommand implements fc.Command<Model, Real> {
  constructor(
    readonly queueIndex: 0 | 1,
    readonly mode: Mode,
    readonly size: number,
  ) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const queueReal = real.queues[this.queueIndex]
    const state = model.queues[this.queueIndex]
    const { data, bytes } = makePayload(queueReal, this.mode, this.size)
    const held = heldBytes(state)
    const fits = held === 0 || held + bytes.length <= model.high
    expect(queueReal.queue.hasRoomFor(bytes.length)).toBe(fits)
    const accepted = handedOver(this.mode)
      ? queueReal.queue.enqueue(data as Uint8Array)
      : this.mode === 'copy'
        ? queueReal.queue.enqueueCopy(data as Uint8Array)
        : queueReal.queue.enqueueCopy(data as string, this.mode === 'latin1' ? 'latin1' : 'utf8')
    expect(accepted).toBe(fits)
    // A copy is the queue's own: the caller may change its buffer at once.
    if (this.mode === 'copy') (data as Uint8Array).fill(0xee)
    if (fits) {
      queueReal.nextByte = (queueReal.nextByte + bytes.length) & 0xff
      state.waiting.push(bytes)
      state.accepted += bytes.length
      if (held + bytes.length >= model.high) state.full = true
    } else {
      state.full = true
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return `q${this.queueIndex}.enqueue(${this.mode}, ${this.size})`
  }
}

class TakeBatchCommand implements fc.Command<Model, Real> {
  constructor(readonly queueIndex: 0 | 1) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const queueReal = real.queues[this.queueIndex]
    const state = model.queues[this.queueIndex]
    if (state.batch !== undefined) {
      expectCode(() => queueReal.queue.takeBatch(), 'ERR_INVALID_ARGUMENT')
    } else {
      const batch = queueReal.queue.takeBatch()
      expect(flat(batch)).toEqual(state.waiting.flat())
      // Without coalescing every payload is a buffer of its own (a datagram); with it, each buffer holds bytes.
      if (!model.coalesce) expect(batch.map((buffer) => [...buffer])).toEqual(state.waiting)
      else expect(batch.every((buffer) => buffer.byteLength > 0)).toBe(true)
      if (batch.length > 0) {
        state.batch = state.waiting
        state.waiting = []
        queueReal.batch = batch
        queueReal.snapshot = flat(batch)
      } else {
        // Only empty payloads waited (coalescing drops them): nothing to send.
        state.waiting = []
      }
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return `q${this.queueIndex}.takeBatch()`
  }
}

type CompleteKind =
  | { kind: 'whole' }
  | { kind: 'zero' }
  | { kind: 'partial'; fraction: number }
  | { kind: 'at'; offset: number }
  | { kind: 'boundary'; index: number }
  | { kind: 'overshoot' }

/** The byte count a complete() of this kind reports for a batch of `total` bytes made of `payloads`. */
function writtenFor(how: CompleteKind, total: number, payloads: readonly number[][]): number {
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
      // the end of one payload of the batch: exactly on a payload boundary
      return payloads.length === 0 ? 0 : sum(payloads.slice(0, (how.index % payloads.length) + 1))
  }
}

class CompleteCommand implements fc.Command<Model, Real> {
  constructor(
    readonly queueIndex: 0 | 1,
    readonly how: CompleteKind,
  ) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const queueReal = real.queues[this.queueIndex]
    const state = model.queues[this.queueIndex]
    const batch = state.batch
    if (batch === undefined) {
      expectCode(() => queueReal.queue.complete(0), 'ERR_INVALID_ARGUMENT')
      checkInvariants(model, real)
      return
    }
    // Bytes in flight are never overwritten (by this queue appending, or another queue reusing a chunk).
    expect(flat(queueReal.batch ?? [])).toEqual(queueReal.snapshot)
    const total = state.droppedBytes ?? sum(batch)
    if (this.how.kind === 'overshoot') {
      expectCode(() => queueReal.queue.complete(total + 1), 'ERR_INVALID_ARGUMENT')
      expectCode(() => queueReal.queue.complete(-1), 'ERR_INVALID_ARGUMENT')
      expectCode(() => queueReal.queue.complete(0.5), 'ERR_INVALID_ARGUMENT')
      checkInvariants(model, real)
      return
    }
    const written = Math.min(total, writtenFor(this.how, total, batch))
    if (state.droppedBytes === undefined) {
      // The writer "writes" the first `written` bytes of the batch it holds.
      const sent = (queueReal.snapshot ?? []).slice(0, written)
      const expected = batch.flat().slice(0, written)
      expect(sent).toEqual(expected)
      queueReal.written.push(...sent)
      state.written.push(...expected)
    }
    queueReal.queue.complete(written)
    queueReal.batch = undefined
    queueReal.snapshot = undefined
    state.batch = undefined
    if (state.droppedBytes !== undefined) {
      state.droppedBytes = undefined
    } else {
      // Release every payload fully written (a zero-length one counts as written once the bytes before it are);
      // the rest, the partial one sliced, goes back in front of the waiting payloads.
      let index = 0
      let skipped = 0
      while (index < batch.length && skipped + (batch[index] as number[]).length <= written) {
        skipped += (batch[index] as number[]).length
        index += 1
      }
      const rest = batch.slice(index)
      if (rest.length > 0) rest[0] = (rest[0] as number[]).slice(written - skipped)
      state.waiting = [...rest, ...state.waiting]
      if (written > 0) checkWritable(model, state)
    }
    checkInvariants(model, real)
  }
  toString(): string {
    return `q${this.queueIndex}.complete(${JSON.stringify(this.how)})`
  }
}

class ClearCommand implements fc.Command<Model, Real> {
  constructor(readonly queueIndex: 0 | 1) {}
  check(): boolean {
    return true
  }
  run(model: Model, real: Real): void {
    const state = model.queues[this.queueIndex]
    const held = heldBytes(state)
    expect(real.queues[this.queueIndex].queue.clear()).toBe(held)
    state.dropped += held
    state.waiting = []
    if (state.batch !== undefined && state.droppedBytes === undefined) state.droppedBytes = sum(state.batch)
    if (held > 0) checkWritable(model, state)
    checkInvariants(model, real)
  }
  toString(): string {
    return `q${this.queueIndex}.clear()`
  }
}

const settings = fc.record({
  high: fc.integer({ min: 1, max: 64 }),
  lowFraction: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  chunkSize: fc.integer({ min: 1, max: 24 }),
  maxChunks: fc.integer({ min: 1, max: 4 }),
  coalesce: fc.boolean(),
})

const modes: Mode[] = ['owned', 'view', 'view', 'view-gap', 'frame', 'frame', 'copy', 'latin1', 'utf8', 'utf8-wide']

// Weighted by repetition (fc.commands picks among its arbitraries uniformly): small enqueues and takeBatch come
// often so batches hold several payloads and payloads are enqueued while a batch is in flight; clear is rare.
const commandsFor = (high: number) => {
  const queueIndex = fc.constantFrom<0 | 1>(0, 1)
  const mode = fc.constantFrom(...modes)
  const smallEnqueue = fc
    .tuple(queueIndex, mode, fc.integer({ min: 0, max: Math.max(1, Math.floor(high / 4)) }))
    .map(([index, kind, size]) => new EnqueueCommand(index, kind, size))
  const anyEnqueue = fc
    .tuple(queueIndex, mode, fc.integer({ min: 0, max: 3 * high }))
    .map(([index, kind, size]) => new EnqueueCommand(index, kind, size))
  const takeBatch = queueIndex.map((index) => new TakeBatchCommand(index))
  const complete = (how: fc.Arbitrary<CompleteKind>) =>
    fc.tuple(queueIndex, how).map(([index, kind]) => new CompleteCommand(index, kind))
  return fc.commands(
    [
      smallEnqueue,
      smallEnqueue,
      smallEnqueue,
      anyEnqueue,
      anyEnqueue,
      takeBatch,
      takeBatch,
      complete(fc.constant({ kind: 'whole' })),
      complete(fc.constant({ kind: 'whole' })),
      complete(fc.constant({ kind: 'zero' })),
      complete(fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'partial', fraction }))),
      complete(fc.nat().map((offset) => ({ kind: 'at', offset }))),
      complete(fc.nat().map((index) => ({ kind: 'boundary', index }))),
      complete(fc.constant({ kind: 'overshoot' })),
      queueIndex.map((index) => new ClearCommand(index)),
    ],
    { maxCommands: 120, size: 'medium' },
  )
}

/** A pool that checks, at every hand-out, that the chunk is in no batch in flight. */
class CheckedPool extends SmartPool {
  inFlight: () => Set<ArrayBufferLike>[] = () => []
  override take(owner: object) {
    const chunk = super.take(owner)
    if (chunk !== undefined) for (const memory of this.inFlight()) expect(memory.has(chunk.buffer.buffer)).toBe(false)
    return chunk
  }
}

function newQueueModel(): QueueModel {
  return { waiting: [], batch: undefined, droppedBytes: undefined, full: false, written: [], accepted: 0, dropped: 0 }
}

test.prop([settings.chain((s) => fc.tuple(fc.constant(s), commandsFor(s.high)))], { numRuns: 250 })(
  'two queues on one pool match the plain-array model: bytes, order, room rule, writability, chunk ownership',
  ([{ high, lowFraction, chunkSize, maxChunks, coalesce }, commands]) => {
    const low = lowFraction === undefined ? undefined : Math.floor(lowFraction * high)
    const pool = new CheckedPool({ chunkSize, maxChunks })
    const makeQueue = (): QueueReal => ({
      queue: new SendingQueue({
        highWaterMark: high,
        ...(low === undefined ? {} : { lowWaterMark: low }),
        pool,
        coalesce,
      }),
      nextByte: 0,
      received: Buffer.alloc(0),
      receivedUsed: 0,
      written: [],
      batch: undefined,
      snapshot: undefined,
    })
    const real: Real = { pool, chunkSize, queues: [makeQueue(), makeQueue()] }
    pool.inFlight = () => inFlightMemory(real)
    const model: Model = {
      high,
      low: low ?? Math.floor(high / 2),
      coalesce,
      queues: [newQueueModel(), newQueueModel()],
    }
    expect(real.queues[0].queue.lowWaterMark).toBe(model.low)
    fc.modelRun(() => ({ model, real }), commands)
    // Finish every flight and drop the rest: every pooled chunk is back.
    for (const queueReal of real.queues) {
      if (queueReal.queue.inFlight) queueReal.queue.complete(0)
      queueReal.queue.clear()
      expect(queueReal.queue.chunkCount).toBe(0)
    }
    expect(pool.inUse).toBe(0)
  },
  60_000,
)

test.prop([
  fc.array(fc.tuple(fc.constantFrom(...modes), fc.integer({ min: 0, max: 300 })), { maxLength: 40 }),
  fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 }),
  fc.integer({ min: 1, max: 64 }),
])(
  'a writer with any partial writes delivers exactly the bytes enqueued, in order',
  (payloads, writeSizes, chunkSize) => {
    const pool = new SmartPool({ chunkSize, maxChunks: 2 })
    const queueReal: QueueReal = {
      queue: new SendingQueue({ highWaterMark: 1 << 20, pool }),
      nextByte: 0,
      received: Buffer.alloc(0),
      receivedUsed: 0,
      written: [],
      batch: undefined,
      snapshot: undefined,
    }
    const queue = queueReal.queue
    const expected: number[] = []
    for (const [mode, size] of payloads) {
      const { data, bytes } = makePayload(queueReal, mode, size)
      queueReal.nextByte = (queueReal.nextByte + bytes.length) & 0xff
      const accepted = handedOver(mode)
        ? queue.enqueue(data as Uint8Array)
        : mode === 'copy'
          ? queue.enqueueCopy(data as Uint8Array)
          : queue.enqueueCopy(data as string, mode === 'latin1' ? 'latin1' : 'utf8')
      expect(accepted).toBe(true)
      expected.push(...bytes)
    }
    const delivered: number[] = []
    // Each round writes at most the next write size (cycling); bounded because every round with bytes writes >= 1.
    for (let round = 0; queue.byteLength > 0 && round < 100_000; round += 1) {
      const batch = queue.takeBatch()
      const limit = Math.max(1, writeSizes[round % writeSizes.length] as number)
      const bytes = flat(batch)
      const written = Math.min(limit, bytes.length)
      delivered.push(...bytes.slice(0, written))
      queue.complete(written)
    }
    expect(delivered).toEqual(expected)
    expect(queue.byteLength).toBe(0)
    expect(queue.chunkCount).toBe(0)
    expect(pool.inUse).toBe(0)
  },
)
