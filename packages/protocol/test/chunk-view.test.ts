import { inspect } from 'node:util'
import { fc, test as propertyTest } from '@fast-check/vitest'
import { viewOffset, viewOffsetOf, viewSource, viewSourceOf } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { viewOf } from '../src/chunk-view.js'

describe('viewOf', () => {
  test('is a Buffer in every way user code can tell, and a view (no copy) of the chunk', () => {
    const chunk = Buffer.from('ECHO hello\r\nECHO world\r\n')
    const view = viewOf(chunk, 5, 10)
    expect(Buffer.isBuffer(view)).toBe(true)
    expect(view instanceof Buffer).toBe(true)
    expect(view instanceof Uint8Array).toBe(true)
    expect(view.constructor).toBe(Buffer)
    expect(Object.prototype.toString.call(view)).toBe('[object Uint8Array]')
    expect(view.toString()).toBe('hello')
    expect(view.toString('hex', 0, 2)).toBe('6865')
    expect(view.readUInt16BE(0)).toBe(0x6865)
    expect(view.equals(Buffer.from('hello'))).toBe(true)
    expect(inspect(view)).toBe(inspect(Buffer.from('hello')))
    expect(JSON.stringify(view)).toBe(JSON.stringify(Buffer.from('hello')))
    expect(Buffer.concat([view, view]).toString()).toBe('hellohello')
    const sub = view.subarray(1, 3)
    expect([Buffer.isBuffer(sub), sub.constructor, sub.toString()]).toEqual([true, Buffer, 'el'])
    expect([view.buffer, view.byteOffset, view.length]).toEqual([chunk.buffer, chunk.byteOffset + 5, 5])
    // socket-base's view keys answer the same, from fields; they live on the prototype, not on the view
    expect([view[viewSource as never], view[viewOffset as never]]).toEqual([chunk.buffer, chunk.byteOffset + 5])
    expect([viewSourceOf(view), viewOffsetOf(view)]).toEqual([chunk.buffer, chunk.byteOffset + 5])
    expect([Object.getOwnPropertySymbols(view), Object.keys(view).length]).toEqual([[], 5])
    expect(Reflect.ownKeys(Object.getPrototypeOf(view))).toEqual([viewSource, viewOffset])
    chunk[5] = 0x48 // 'H': the view sees the chunk's bytes
    expect(view.toString()).toBe('Hello')
  })

  test('views of a chunk that is itself a view of a larger buffer (Node pools small buffers)', () => {
    const pooled = Buffer.from('xxABCDEFyy').subarray(2, 8)
    const other = Buffer.from('0123456789')
    expect(viewOf(pooled, 1, 4).toString()).toBe('BCD')
    expect(viewOf(other, 1, 4).toString()).toBe('123')
    expect(viewOf(pooled, 0, 6).toString()).toBe('ABCDEF')
    expect(viewOf(pooled, 6, 6).length).toBe(0)
  })

  propertyTest.prop([fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(), fc.nat(), fc.nat({ max: 8 })])(
    'equals subarray for every range, whatever the chunk is a view of',
    (bytes, a, b, lead) => {
      const backing = Buffer.alloc(bytes.length + lead + 3)
      backing.set(bytes, lead)
      const chunk = backing.subarray(lead, lead + bytes.length)
      const start = bytes.length === 0 ? 0 : a % (bytes.length + 1)
      const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1))
      const view = viewOf(chunk, start, end)
      expect(Buffer.isBuffer(view)).toBe(true)
      expect(view.equals(chunk.subarray(start, end))).toBe(true)
      expect([view.byteOffset, view.buffer]).toEqual([chunk.byteOffset + start, chunk.buffer])
      expect([viewOffsetOf(view), viewSourceOf(view)]).toEqual([chunk.byteOffset + start, chunk.buffer])
    },
  )
})
