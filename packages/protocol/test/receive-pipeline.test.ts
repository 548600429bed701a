import { fc, test } from '@fast-check/vitest'
import {
  FilterState,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  SocketError,
} from '@socketlite/socket-base'
import { describe, expect } from 'vitest'
import {
  BinaryTerminatorReceiveFilter,
  CommandLineReceiveFilter,
  ReceiveFilterBase,
  ReceivePipeline,
} from '../src/index.js'

const line = (terminator: string) => new BinaryTerminatorReceiveFilter({ terminator })
const init = { maxRequestLength: 1024 }
const code = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    expect(SocketError.isSocketError(error)).toBe(true)
    return (error as SocketError).code
  }
  return 'no error'
}

/** A filter that returns a fixed count and optionally switches; counts its calls. */
class Scripted implements ReceiveFilter<unknown> {
  readonly state = FilterState.Normal
  readonly leftBufferSize = 0
  calls = 0
  next: ReceiveFilter<unknown> | undefined
  constructor(readonly consumed: number) {}
  filter(_data: Buffer, _offset: number, _length: number, context: ReceiveFilterContext<unknown>): number {
    this.calls++
    context.nextFilter = this.next
    return this.consumed
  }
  reset(): void {}
}

describe('ReceivePipeline', () => {
  test('parses lazily, one request per next(), and keeps the rest pending', () => {
    const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), init)
    pipeline.push(Buffer.from('A 1\r\nB 2\r\nC'))
    expect(pipeline.pendingBytes).toBe(11)
    expect(pipeline.next()?.key).toBe('A')
    expect(pipeline.pendingBytes).toBe(6)
    expect(pipeline.next()?.key).toBe('B')
    expect(pipeline.next()).toBeUndefined()
    expect([pipeline.pendingBytes, pipeline.bufferedBytes]).toEqual([0, 1])
    pipeline.push(Uint8Array.from(Buffer.from('\r\n')))
    expect(pipeline.next()?.key).toBe('C')
  })

  test('reads a chunk in place when nothing is unread, and copies small chunks pushed while bytes wait', () => {
    const pipeline = new ReceivePipeline(line('|'), init)
    const first = Buffer.from('ab|cd')
    pipeline.push(first)
    expect(pipeline.next()?.body.buffer).toBe(first.buffer) // a view: nothing copied
    const small = Buffer.from('ef|gh|')
    pipeline.push(small) // 'cd' is still unread: copied into the pipeline's own buffer
    small.fill(0)
    expect(pipeline.next()?.body.toString()).toBe('cdef')
    const copied = pipeline.next()
    expect(copied?.body.toString()).toBe('gh')
    expect(copied?.body.buffer).not.toBe(small.buffer)
    expect(pipeline.pendingBytes).toBe(0)
  })

  test('keeps chunks of 4 KiB and more by reference while bytes wait, unless they are views of a larger buffer', () => {
    const pipeline = new ReceivePipeline(line('|'), { maxRequestLength: 1 << 20 })
    pipeline.push(Buffer.from('a|b'))
    expect(pipeline.next()?.body.toString()).toBe('a')
    const big = Buffer.alloc(5000, 'c')
    big.write('|', 0)
    big.write('|', 4999)
    pipeline.push(big)
    const slab = Buffer.alloc(100_000, 'd')
    const view = slab.subarray(50_000, 55_000)
    view.write('|', 4999)
    pipeline.push(view)
    expect(pipeline.pendingBytes).toBe(10_001)
    expect(pipeline.next()?.body.toString()).toBe('b')
    const inPlace = pipeline.next()
    expect(inPlace?.body.length).toBe(4998)
    expect(inPlace?.body.buffer).toBe(big.buffer)
    slab.fill(0)
    const copied = pipeline.next()
    expect(copied?.body.toString()).toBe('d'.repeat(4999))
    expect(copied?.body.buffer).not.toBe(slab.buffer)
  })

  test('accepts more chunks while earlier ones are unread', () => {
    const pipeline = new ReceivePipeline(line('|'), init)
    for (const part of ['ab|c', 'd|', '', 'e', '|f']) pipeline.push(Buffer.from(part))
    const bodies: string[] = []
    for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) bodies.push(`${request.body}`)
    expect(bodies).toEqual(['ab', 'cd', 'e'])
    expect(pipeline.bufferedBytes).toBe(1)
  })

  test('setNextFilter switches from the next unread byte, mid-chunk, losing and repeating nothing', () => {
    const pipeline = new ReceivePipeline(line('\n'), init)
    pipeline.push(Buffer.from('HELLO\nab|cd|'))
    expect(`${pipeline.next()?.body}`).toBe('HELLO')
    const pipes = line('|')
    pipeline.setNextFilter(pipes)
    expect(pipeline.filter).toBe(pipes)
    expect(`${pipeline.next()?.body}`).toBe('ab')
    expect(`${pipeline.next()?.body}`).toBe('cd')
    expect(pipeline.next()).toBeUndefined()
  })

  test('a filter switch through context.nextFilter without consuming is allowed once in a while', () => {
    const target = line(';')
    const dispatcher = new Scripted(0)
    dispatcher.next = target
    const pipeline = new ReceivePipeline<unknown>(dispatcher, init)
    pipeline.push(Buffer.from('x;'))
    expect(`${(pipeline.next() as { body: Buffer }).body}`).toBe('x')
    expect(pipeline.filter).toBe(target)
  })

  test('a filter that consumes nothing without switching fails the pipeline instead of hanging', () => {
    const stuck = new Scripted(0)
    const pipeline = new ReceivePipeline(stuck, init)
    pipeline.push(Buffer.from('abc'))
    let first: unknown
    try {
      pipeline.next()
    } catch (error) {
      first = error
    }
    expect(first).toBeInstanceOf(ProtocolError)
    expect((first as ProtocolError).code).toBe('ERR_PROTOCOL')
    expect(stuck.calls).toBe(1)
    expect(() => pipeline.next()).toThrow(first as Error)
    expect(pipeline.error).toBe(first)
    pipeline.push(Buffer.from('more'))
    expect(pipeline.pendingBytes).toBe(0)
  })

  test.each([4, -1, 1.5, Number.NaN])('a filter that reports %d consumed of 3 fails the pipeline', (consumed) => {
    const pipeline = new ReceivePipeline(new Scripted(consumed), init)
    pipeline.push(Buffer.from('abc'))
    expect(code(() => pipeline.next())).toBe('ERR_PROTOCOL')
  })

  test('filters that switch back and forth without consuming fail after a bounded number of calls', () => {
    const a = new Scripted(0)
    const b = new Scripted(0)
    a.next = b
    b.next = a
    const pipeline = new ReceivePipeline(a, init)
    pipeline.push(Buffer.from('x'))
    expect(code(() => pipeline.next())).toBe('ERR_PROTOCOL')
    expect(a.calls + b.calls).toBeLessThanOrEqual(20)
  })

  test('a filter that throws a non-socketlite error is reported as ERR_PROTOCOL with the cause', () => {
    class Broken extends ReceiveFilterBase<string> {
      get leftBufferSize() {
        return 0
      }
      protected doFilter(): number {
        throw new RangeError('bad header')
      }
      protected resetFrame(): void {}
    }
    const broken = new Broken()
    const pipeline = new ReceivePipeline(broken, init)
    pipeline.push(Buffer.from('x'))
    let thrown: unknown
    try {
      pipeline.next()
    } catch (error) {
      thrown = error
    }
    expect((thrown as ProtocolError).code).toBe('ERR_PROTOCOL')
    expect((thrown as ProtocolError).cause).toBeInstanceOf(RangeError)
    expect(broken.state).toBe(FilterState.Error)
    pipeline.reset()
    expect(broken.state).toBe(FilterState.Normal)
  })

  test('drainDatagram returns every request of a datagram', () => {
    const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), init)
    pipeline.push(Buffer.from('A\r\nB x\r\n'))
    expect(pipeline.drainDatagram().map((request) => request.key)).toEqual(['A', 'B'])
    expect(pipeline.drainDatagram()).toEqual([])
  })

  test('drainDatagram rejects a datagram that ends inside a frame, then starts the next one clean', () => {
    const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), init)
    pipeline.push(Buffer.from('A\r\nPART'))
    expect(code(() => pipeline.drainDatagram())).toBe('ERR_PROTOCOL')
    expect(pipeline.bufferedBytes).toBe(0)
    pipeline.push(Buffer.from('B\r\n'))
    expect(pipeline.drainDatagram().map((request) => request.key)).toEqual(['B'])
  })

  test('drainDatagram rejects an oversize frame and recovers for the next datagram', () => {
    const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), { maxRequestLength: 4 })
    pipeline.push(Buffer.from('TOO LONG\r\n'))
    expect(code(() => pipeline.drainDatagram())).toBe('ERR_REQUEST_TOO_LARGE')
    expect(pipeline.error).toBeUndefined()
    pipeline.push(Buffer.from('OK\r\n'))
    expect(pipeline.drainDatagram().map((request) => request.key)).toEqual(['OK'])
  })

  test('reset drops pending bytes and undoes filter-made switches, keeping the session-chosen filter', () => {
    const home = line('\n')
    const target = line('|')
    const dispatcher = new Scripted(0)
    dispatcher.next = target
    const pipeline = new ReceivePipeline<unknown>(dispatcher, init)
    pipeline.push(Buffer.from('abc'))
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.filter).toBe(target)
    expect(target.leftBufferSize).toBe(3)
    pipeline.reset()
    expect(pipeline.filter).toBe(dispatcher)
    expect(target.leftBufferSize).toBe(0)
    pipeline.setNextFilter(home)
    pipeline.push(Buffer.from('x'))
    pipeline.reset()
    expect(pipeline.filter).toBe(home)
    expect(pipeline.bufferedBytes).toBe(0)
  })

  test('rejects invalid arguments', () => {
    const filter = line('\n')
    for (const maxRequestLength of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(code(() => new ReceivePipeline(filter, { maxRequestLength }))).toBe('ERR_INVALID_ARGUMENT')
    }
    expect(code(() => new ReceivePipeline({} as ReceiveFilter<unknown>, init))).toBe('ERR_INVALID_ARGUMENT')
    expect(code(() => new ReceivePipeline(filter, init).setNextFilter(null as never))).toBe('ERR_INVALID_ARGUMENT')
  })

  /** Model: the bytes not yet given to a filter, and those the current filter holds. */
  interface Model {
    unread: number[]
    held: number[]
    terminator: number[]
  }
  type Real = { pipeline: ReceivePipeline<{ body: Buffer }> }
  const indexOf = (bytes: number[], needle: number[]) => Buffer.from(bytes).indexOf(Buffer.from(needle))
  const check = (model: Model, real: Real) => {
    expect(real.pipeline.pendingBytes).toBe(model.unread.length)
    expect(real.pipeline.bufferedBytes).toBe(model.unread.length + model.held.length)
  }

  class Push implements fc.Command<Model, Real> {
    constructor(readonly bytes: number[]) {}
    check = () => true
    run(model: Model, real: Real) {
      real.pipeline.push(Buffer.from(this.bytes))
      model.unread.push(...this.bytes)
      check(model, real)
    }
    toString = () => `push(${JSON.stringify(String.fromCharCode(...this.bytes))})`
  }
  class Next implements fc.Command<Model, Real> {
    check = () => true
    run(model: Model, real: Real) {
      const stream = [...model.held, ...model.unread]
      const at = indexOf(stream, model.terminator)
      const request = real.pipeline.next()
      if (at < 0) {
        expect(request).toBeUndefined()
        model.held = stream
        model.unread = []
      } else {
        expect(request && [...request.body]).toEqual(stream.slice(0, at))
        model.held = []
        model.unread = stream.slice(at + model.terminator.length)
      }
      check(model, real)
    }
    toString = () => 'next()'
  }
  class Switch implements fc.Command<Model, Real> {
    constructor(readonly terminator: number[]) {}
    check = () => true
    run(model: Model, real: Real) {
      real.pipeline.setNextFilter(new BinaryTerminatorReceiveFilter({ terminator: Uint8Array.from(this.terminator) }))
      model.terminator = this.terminator
      model.held = [] // the old filter keeps the bytes it consumed
      check(model, real)
    }
    toString = () => `switch(${JSON.stringify(String.fromCharCode(...this.terminator))})`
  }

  const letters = fc.integer({ min: 0x61, max: 0x63 })
  const terminators = fc.array(letters, { minLength: 1, maxLength: 3 })
  test.prop([
    fc.commands(
      [
        fc.array(letters, { maxLength: 12 }).map((bytes) => new Push(bytes)),
        fc.constant(new Next()),
        terminators.map((terminator) => new Switch(terminator)),
      ],
      { maxCommands: 60 },
    ),
  ])('behaves like a model of unread and held bytes under push, next and switch', (commands) => {
    const model: Model = { unread: [], held: [], terminator: [0x61] }
    const pipeline = new ReceivePipeline(new BinaryTerminatorReceiveFilter({ terminator: 'a' }), {
      maxRequestLength: 1 << 20,
    })
    fc.modelRun(() => ({ model, real: { pipeline } }), commands)
  })
})
