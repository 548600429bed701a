import { expectTypeOf, test } from 'vitest'
import {
  FilterState,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
  type ReceiveFilterFactoryLike,
  type RequestInfo,
} from '../src/index.js'

interface LineRequest extends RequestInfo {
  readonly body: string
}

/** A small newline filter: the contract is implementable by a plain class. */
class LineFilter implements ReceiveFilter<LineRequest> {
  #state: FilterState = FilterState.Normal
  #pending: Buffer[] = []
  #pendingBytes = 0

  get state(): FilterState {
    return this.#state
  }

  get leftBufferSize(): number {
    return this.#pendingBytes
  }

  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<LineRequest>): number {
    const end = data.indexOf(0x0a, offset)
    if (end === -1 || end >= offset + length) {
      this.#pending.push(data.subarray(offset, offset + length))
      this.#pendingBytes += length
      if (this.#pendingBytes > context.maxRequestLength) {
        this.#state = FilterState.Error
        throw new ProtocolError('line too long', { code: 'ERR_REQUEST_TOO_LARGE' })
      }
      return length
    }
    const line = Buffer.concat([...this.#pending, data.subarray(offset, end)])
    this.reset()
    context.request = { key: '', body: line.toString('utf8') }
    return end - offset + 1
  }

  reset(): void {
    this.#pending = []
    this.#pendingBytes = 0
  }
}

test('ReceiveFilter is implementable by a small class', () => {
  expectTypeOf<LineFilter>().toExtend<ReceiveFilter<LineRequest>>()
  expectTypeOf<ReceiveFilter<LineRequest>['filter']>().returns.toEqualTypeOf<number>()
  expectTypeOf<ReceiveFilterContext<LineRequest>['request']>().toEqualTypeOf<LineRequest | undefined>()
  expectTypeOf<ReceiveFilterContext<LineRequest>['nextFilter']>().toEqualTypeOf<
    ReceiveFilter<LineRequest> | undefined
  >()
})

test('a factory is an object with createFilter or a plain function', () => {
  const factory: ReceiveFilterFactory<LineRequest> = { createFilter: () => new LineFilter() }
  const asObject: ReceiveFilterFactoryLike<LineRequest> = factory
  const asFunction: ReceiveFilterFactoryLike<LineRequest> = () => new LineFilter()
  // @ts-expect-error a filter of other requests does not fit
  const wrong: ReceiveFilterFactoryLike<LineRequest> = () => ({}) as ReceiveFilter<{ key: number }>
  void [asObject, asFunction, wrong]
})

test('the context is read-only where the pipeline owns it', () => {
  const context = {} as ReceiveFilterContext<LineRequest>
  // @ts-expect-error maxRequestLength is set by the pipeline
  context.maxRequestLength = 1
  context.request = undefined
  context.nextFilter = new LineFilter()
})
