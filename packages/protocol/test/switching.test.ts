import { randomUUID } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { ProtocolError, type ReceiveFilterContext } from '@socketlite/socket-base'
import { describe, expect } from 'vitest'
import {
  CommandLineReceiveFilter,
  FixedSizeReceiveFilter,
  ReceiveFilterBase,
  ReceivePipeline,
  StringBeginEndMarkReceiveFilter,
  type StringBeginEndMarkReceiveFilterInit,
  type StringRequestInfo,
} from '../src/index.js'
import { chunk, chunkSizes, decode } from './support.js'

// SuperSocket's Tutorials/SwitchReceiveFilter: the first byte of each message picks the framing.

/** After each request, hands the stream back to the dispatcher. */
class SubFilter extends StringBeginEndMarkReceiveFilter {
  readonly #dispatcher: SwitchDispatcher
  constructor(init: StringBeginEndMarkReceiveFilterInit, dispatcher: SwitchDispatcher) {
    super(init)
    this.#dispatcher = dispatcher
  }
  protected override resolveRequestInfo(body: Buffer): StringRequestInfo {
    this.switchTo(this.#dispatcher)
    return super.resolveRequestInfo(body)
  }
}

/** Looks at the first byte and switches, consuming nothing: 'Y' → Y…00 FF, '*' → *…#. */
class SwitchDispatcher extends ReceiveFilterBase<StringRequestInfo> {
  readonly y = new SubFilter({ beginMark: 'Y', endMark: Uint8Array.of(0x00, 0xff) }, this)
  readonly star = new SubFilter({ beginMark: '*', endMark: '#' }, this)
  get leftBufferSize(): number {
    return 0
  }
  protected doFilter(data: Buffer, offset: number, _length: number, _context: ReceiveFilterContext<StringRequestInfo>) {
    const first = data[offset]
    if (first === 0x59) this.switchTo(this.y)
    else if (first === 0x2a) this.switchTo(this.star)
    else throw new ProtocolError(`Unknown message type ${first}`)
    return 0
  }
  protected resetFrame(): void {}
}

const encode = (kind: 'Y' | '*', text: string) =>
  kind === 'Y' ? Buffer.concat([Buffer.from(`Y${text}`), Buffer.of(0x00, 0xff)]) : Buffer.from(`*${text}#`)

describe('filter switching (SwitchReceiveFilter tutorial)', () => {
  test('each message picks its sub-filter; the sub-filter switches back after its request', () => {
    const dispatcher = new SwitchDispatcher()
    const pipeline = new ReceivePipeline<StringRequestInfo>(dispatcher, { maxRequestLength: 1024 })
    const id = randomUUID()
    pipeline.push(Buffer.concat([encode('Y', `ECHO ${id}`), encode('*', 'ECHO two'), encode('Y', 'QUIT')]))
    const first = pipeline.next()
    expect([first?.key, first?.body]).toEqual(['ECHO', id])
    expect(pipeline.filter).toBe(dispatcher)
    expect(pipeline.next()?.body).toBe('two')
    expect(pipeline.next()?.key).toBe('QUIT')
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.bufferedBytes).toBe(0)
  })

  test.prop([
    fc.array(fc.tuple(fc.constantFrom<'Y' | '*'>('Y', '*'), fc.stringMatching(/^[A-Z]{1,6}( [a-z0-9]{1,8}){0,3}$/)), {
      maxLength: 12,
    }),
    chunkSizes,
  ])('decodes interleaved message kinds under any chunking, losing no byte at a switch', (messages, sizes) => {
    const stream = Buffer.concat(messages.map(([kind, text]) => encode(kind, text)))
    const result = decode(new SwitchDispatcher(), chunk(stream, sizes), 1024)
    expect(result.error).toBeUndefined()
    expect(result.requests.map((request) => `${request.key} ${request.body}`.trimEnd())).toEqual(
      messages.map(([, text]) => text),
    )
  })

  test('an unknown first byte is a ProtocolError', () => {
    expect(decode(new SwitchDispatcher(), [Buffer.concat([encode('Y', 'OK'), Buffer.from('?')])], 1024)).toMatchObject({
      error: 'ERR_PROTOCOL',
    })
  })

  test('a session switches to fixed-size frames after a command, mid-chunk, and back', () => {
    const lines = new CommandLineReceiveFilter()
    const pipeline = new ReceivePipeline<{ key: string }>(lines, { maxRequestLength: 1024 })
    pipeline.push(Buffer.from('BINARY 2\r\nabcdEND\r'))
    pipeline.push(Buffer.from('\n'))
    expect(pipeline.next()?.key).toBe('BINARY')
    pipeline.setNextFilter(new FixedSizeReceiveFilter({ size: 2 }))
    const frames = [pipeline.next(), pipeline.next()].map(
      (request) => `${(request as unknown as { body: Buffer }).body}`,
    )
    expect(frames).toEqual(['ab', 'cd'])
    pipeline.setNextFilter(lines)
    expect(pipeline.next()?.key).toBe('END')
  })
})
